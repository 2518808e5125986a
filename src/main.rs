//! `ferry`: the desktop app without a subcommand, the command line with one.

use std::process::ExitCode;

fn main() -> ExitCode {
    ferry::cli::main()
}
