import CarecronCLI

await CarecronCommand.main()
