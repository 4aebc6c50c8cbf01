//! How a lookup failed, in the terms of the verdict table: a negative answer is an answer, the
//! rest is transient.

use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;

/// How a lookup failed, in the terms the verdict table uses.
pub enum Failure {
    NxDomain {
        negative_ttl: Option<u32>,
    },
    NoData {
        negative_ttl: Option<u32>,
    },
    /// Timeout, SERVFAIL, REFUSED, no connection: try again later.
    Transient {
        detail: String,
        timeout: bool,
    },
}

pub fn classify_error(error: &NetError) -> Failure {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(no_records)) => {
            let negative_ttl = no_records.negative_ttl;
            if no_records.response_code == ResponseCode::NXDomain {
                Failure::NxDomain { negative_ttl }
            } else {
                Failure::NoData { negative_ttl }
            }
        }
        NetError::Dns(DnsError::ResponseCode(code)) => Failure::Transient {
            detail: format!("the name server answered {}", response_code_name(*code)),
            timeout: false,
        },
        NetError::Timeout => Failure::Transient {
            detail: "no answer before the timeout".to_owned(),
            timeout: true,
        },
        NetError::NoConnections => Failure::Transient {
            detail: "no connection to any name server".to_owned(),
            timeout: true,
        },
        other => Failure::Transient {
            detail: other.to_string(),
            timeout: matches!(other, NetError::Io(_)),
        },
    }
}

fn response_code_name(code: ResponseCode) -> String {
    match code {
        ResponseCode::ServFail => "SERVFAIL".to_owned(),
        ResponseCode::Refused => "REFUSED".to_owned(),
        ResponseCode::FormErr => "FORMERR".to_owned(),
        ResponseCode::NotImp => "NOTIMP".to_owned(),
        other => format!("{other:?}").to_uppercase(),
    }
}
