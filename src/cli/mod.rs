//! The binary's own modules: what `src/main.rs` does with a report once the library made it.

pub mod output;
