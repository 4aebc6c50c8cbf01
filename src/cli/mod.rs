//! The binary's own modules: the command line `src/main.rs` parses, and what it does with a
//! report once the library made it.

pub mod args;
pub mod output;
