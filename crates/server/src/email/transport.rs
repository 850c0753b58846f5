//! The ways a message can leave: SMTP, a spool folder of `.eml` files, or the log.

use super::outcome::{DeliveryFailure, ServerReply, Stage};
use super::settings::TransportConfig;
use super::smtp::SmtpClient;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Transport {
    Smtp(Arc<SmtpClient>),
    File(PathBuf),
    Log,
}

impl Transport {
    /// Hands the message over. `message_id` names spool files.
    pub async fn send(
        &self,
        envelope: &lettre::address::Envelope,
        bytes: &[u8],
        message_id: &str,
    ) -> Result<ServerReply, DeliveryFailure> {
        match self {
            Transport::Smtp(client) => client.send(envelope, bytes).await,
            Transport::File(dir) => write_spool(dir, bytes, message_id).await,
            Transport::Log => {
                tracing::info!(
                    to = ?envelope.to().iter().map(ToString::to_string).collect::<Vec<_>>(),
                    message_id,
                    bytes = bytes.len(),
                    "email (log transport; not sent)"
                );
                Ok(ServerReply {
                    code: 250,
                    text: "written to the log".to_owned(),
                })
            }
        }
    }

    pub fn describe(config: &TransportConfig) -> String {
        config.describe()
    }
}

/// Writes `<dir>/<message-id>.eml` through a temporary name, so readers never see half a file.
async fn write_spool(dir: &PathBuf, bytes: &[u8], message_id: &str) -> Result<ServerReply, DeliveryFailure> {
    let fail = |e: std::io::Error| DeliveryFailure {
        stage: Stage::Data,
        code: None,
        message: format!("writing to {}: {e}", dir.display()),
    };
    tokio::fs::create_dir_all(dir).await.map_err(fail)?;
    let name: String = message_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '@'))
        .collect();
    let path = dir.join(format!("{name}.eml"));
    let partial = dir.join(format!(".{name}.eml.partial"));
    tokio::fs::write(&partial, bytes).await.map_err(fail)?;
    tokio::fs::rename(&partial, &path).await.map_err(fail)?;
    Ok(ServerReply {
        code: 250,
        text: format!("written to {}", path.display()),
    })
}
