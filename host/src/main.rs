//! The `replay-vision` command-line program; everything it does lives in the library.

fn main() -> std::process::ExitCode {
    replay_vision::cli::main()
}
