import Gateway
import Glibc
import Processor

exit(Processor.main(arguments: Array(CommandLine.arguments.dropFirst()), environment: Gateway.processEnvironment()))
