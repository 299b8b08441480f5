import CarecronCLI
CarecronCommand.main()
