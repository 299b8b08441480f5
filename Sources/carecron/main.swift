import CarecronCLI

await CarecronCommand.start()
