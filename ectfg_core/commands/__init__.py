"""One module per `ectfg` subcommand, each with `register(subparsers)` that sets `handler` on its parser."""
