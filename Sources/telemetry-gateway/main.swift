import Gateway
import Glibc

exit(Gateway.main(arguments: Array(CommandLine.arguments.dropFirst()), environment: Gateway.processEnvironment()))
