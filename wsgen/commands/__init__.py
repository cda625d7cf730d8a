"""The subcommands of `wsgen`, one module each (see `wsgen.cli`)."""
