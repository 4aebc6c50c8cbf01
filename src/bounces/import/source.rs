//! The formats `history import` and `--history` read, by name.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::mail;

/// The formats this module reads (the generic CSV history is read by [`crate::bounces::history`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    SendgridCsv,
    SendgridJson,
    SendgridWebhook,
    MailgunEvents,
    MailgunBounces,
    Ses,
    Postmark,
    Postfix,
    ResendWebhook,
    ResendSuppressions,
    MailchimpCleaned,
    MailchimpUnsubscribed,
    MailchimpWebhook,
    Mandrill,
    MandrillRejects,
    BrevoWebhook,
    BrevoBlocked,
    Mailjet,
    Sparkpost,
    SparkpostSuppressions,
    AzureEventGrid,
    AzureLogs,
    /// Bounce mails, as one message or an mbox: the file's format. Its events are `Dsn` when
    /// read from a delivery-status part, else `Mail`.
    Dsn,
    /// An event read from a bounce mail by the family named (`exim`, `office365`, `arf` for a
    /// feedback report, `generic`).
    Mail(&'static str),
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_format_name(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl Source {
    pub const ALL: [Source; 23] = [
        Source::SendgridCsv,
        Source::SendgridJson,
        Source::SendgridWebhook,
        Source::MailgunEvents,
        Source::MailgunBounces,
        Source::Ses,
        Source::Postmark,
        Source::Postfix,
        Source::Dsn,
        Source::ResendWebhook,
        Source::ResendSuppressions,
        Source::MailchimpCleaned,
        Source::MailchimpUnsubscribed,
        Source::MailchimpWebhook,
        Source::Mandrill,
        Source::MandrillRejects,
        Source::BrevoWebhook,
        Source::BrevoBlocked,
        Source::Mailjet,
        Source::Sparkpost,
        Source::SparkpostSuppressions,
        Source::AzureEventGrid,
        Source::AzureLogs,
    ];

    /// The name `--history-format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Source::SendgridCsv => "sendgrid-csv",
            Source::SendgridJson => "sendgrid-json",
            Source::SendgridWebhook => "sendgrid-webhook",
            Source::MailgunEvents => "mailgun-events",
            Source::MailgunBounces => "mailgun-bounces",
            Source::Ses => "ses",
            Source::Postmark => "postmark",
            Source::Postfix => "postfix",
            Source::Dsn => "dsn",
            Source::ResendWebhook => "resend-webhook",
            Source::ResendSuppressions => "resend-suppressions",
            Source::MailchimpCleaned => "mailchimp-cleaned",
            Source::MailchimpUnsubscribed => "mailchimp-unsubscribed",
            Source::MailchimpWebhook => "mailchimp-webhook",
            Source::Mandrill => "mandrill",
            Source::MandrillRejects => "mandrill-rejects",
            Source::BrevoWebhook => "brevo-webhook",
            Source::BrevoBlocked => "brevo-blocked",
            Source::Mailjet => "mailjet",
            Source::Sparkpost => "sparkpost",
            Source::SparkpostSuppressions => "sparkpost-suppressions",
            Source::AzureEventGrid => "azure-eventgrid",
            Source::AzureLogs => "azure-logs",
            Source::Mail(family) => family,
        }
    }

    /// What a file of this format looks like, for messages ("expected ...").
    pub fn expected(self) -> &'static str {
        match self {
            Source::SendgridCsv => {
                "a SendGrid bounces or blocks CSV export (a header with created, email, reason, status)"
            }
            Source::SendgridJson => {
                "a SendGrid suppression list as JSON (an array of objects with created, email, reason, status)"
            }
            Source::SendgridWebhook => {
                "SendGrid event webhook JSON (an array or JSON lines of objects with event, email, timestamp, reason)"
            }
            Source::MailgunEvents => {
                "Mailgun events JSON ({\"items\": [...]} of events with event, recipient, timestamp, delivery-status)"
            }
            Source::MailgunBounces => {
                "Mailgun bounces JSON ({\"items\": [...]} with address, code, error, created_at)"
            }
            Source::Ses => {
                "Amazon SES bounce notifications (SNS or plain, or event publishing: one object, an array or JSON lines)"
            }
            Source::Postmark => {
                "Postmark bounces JSON ({\"TotalCount\": n, \"Bounces\": [...]} or an array of bounces)"
            }
            Source::Postfix => {
                "a Postfix mail log (lines such as 'postfix/smtp[123]: ID: to=<addr>, ..., dsn=5.1.1, status=bounced (...)')"
            }
            Source::ResendWebhook => {
                "Resend webhook events (objects with type email.bounced, email.complained, ... and data.to)"
            }
            Source::ResendSuppressions => {
                "the Resend suppressions list ({\"data\": [...]} of objects with object: suppression, email, origin)"
            }
            Source::MailchimpCleaned => {
                "a Mailchimp cleaned members export (a CSV header with Email Address and CLEAN_TIME)"
            }
            Source::MailchimpUnsubscribed => {
                "a Mailchimp unsubscribed members export (a CSV header with Email Address and UNSUB_TIME)"
            }
            Source::MailchimpWebhook => {
                "Mailchimp audience webhook bodies, form-encoded, one a line (type=cleaned&data[email]=...)"
            }
            Source::Mandrill => {
                "Mandrill webhook events (a JSON array of objects with event, ts and msg, or the form body mandrill_events=...)"
            }
            Source::MandrillRejects => {
                "the Mandrill rejects list (a JSON array of objects with email, reason, created_at, expires_at)"
            }
            Source::BrevoWebhook => {
                "Brevo webhook events (objects with event, email, reason and ts_epoch or ts_event)"
            }
            Source::BrevoBlocked => {
                "the Brevo blocked contacts list ({\"contacts\": [...]} of objects with email, reason, blockedAt)"
            }
            Source::Mailjet => {
                "Mailjet Event API events (objects with event, email, time and MessageID or mj_campaign_id)"
            }
            Source::Sparkpost => {
                "SparkPost events (a webhook batch of {\"msys\": {...}} entries, or an Events API {\"results\": [...]})"
            }
            Source::SparkpostSuppressions => {
                "the SparkPost suppression list (JSON {\"results\": [...]} with recipient and source, or the CSV recipient,type,description)"
            }
            Source::AzureEventGrid => {
                "Azure Communication Services delivery reports (Event Grid events Microsoft.Communication.EmailDeliveryReportReceived)"
            }
            Source::AzureLogs => {
                "the Azure Log Analytics table ACSEmailStatusUpdateOperational (the portal's CSV export, or the Query API's {\"tables\": [...]})"
            }
            Source::Dsn | Source::Mail(_) => {
                "bounce mails as an .eml message or an mbox: delivery status notifications (RFC 3464), the bounces of mail servers and providers, feedback reports"
            }
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Source {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        parse_format_name(name)
    }
}

/// A format forced by the user (`--history-format NAME`): parse the name.
pub fn parse_format_name(name: &str) -> Result<Source, String> {
    let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
    // A history written by `history import` names the mail family that read each event.
    let family = mail::family_names()
        .chain(["arf"])
        .find(|family| *family == wanted)
        .map(Source::Mail);
    Source::ALL
        .into_iter()
        .find(|source| source.name() == wanted)
        .or(family)
        .ok_or_else(|| {
            format!(
                "'{name}' is not a history format: expected one of {}",
                Source::ALL.map(Source::name).join(", ")
            )
        })
}
