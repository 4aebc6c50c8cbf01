//! Stage 4: bounces. What one bounce says about an address ([`reason`], [`classify`] by the
//! [`rules`], with the SMTP [`codes`]), the providers' export formats ([`import`]), and the
//! stored histories summed up per address ([`history`]; [`history_csv`] writes the generic CSV).

pub mod classify;
pub mod codes;
pub mod command;
pub mod history;
pub mod history_csv;
pub mod import;
pub mod reason;
pub mod rules;
pub mod time;
