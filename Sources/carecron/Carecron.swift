import CarecronCLI

/// The executable: the command tree lives in CarecronCLI, where the tests reach it too.
@main
extension CarecronCommand {}
