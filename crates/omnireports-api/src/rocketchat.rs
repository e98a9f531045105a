//! Asking a running Rocket.Chat about credentials omnireports does not know yet
//! (`auth.rocketchat_url`): `GET /api/v1/me` with the same two headers. A new login there moves
//! no `_updatedAt`, so no increment carries its token; this lets that user in at once.

use omnireports_auth::remote::VouchedUser;
use omnireports_error::ApiError;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How long a refused pair is answered 401 without asking again: a flood of bad tokens then
/// costs Rocket.Chat one request per pair and window.
const REMEMBER_REFUSED: Duration = Duration::from_secs(30);
/// Most refused pairs remembered; beyond, the oldest are forgotten (memory stays bounded).
const REFUSED_CAPACITY: usize = 10_000;
/// Most questions in flight at once; more wait for a turn within the same timeout.
const IN_FLIGHT: usize = 8;

#[derive(Debug)]
pub struct RocketChat {
    me_url: String,
    timeout: Duration,
    agent: ureq::Agent,
    refused: quick_cache::sync::Cache<String, Instant>,
    in_flight: Arc<Semaphore>,
}

impl RocketChat {
    /// A client of the Rocket.Chat at `base` (`https://chat.example.com`); `None` when empty.
    pub fn new(base: &str, timeout: Duration) -> Option<Self> {
        if base.is_empty() {
            return None;
        }
        let agent = ureq::AgentBuilder::new()
            .timeout(timeout)
            .redirects(0)
            .build();
        Some(Self {
            me_url: format!("{}/api/v1/me", base.trim_end_matches('/')),
            timeout,
            agent,
            refused: quick_cache::sync::Cache::new(REFUSED_CAPACITY),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
        })
    }

    /// The user Rocket.Chat says the pair belongs to; `None` when it answers 401 (or vouches
    /// for another id). Down, slow or answering anything else: the 503, within the timeout.
    pub async fn vouch(&self, user_id: &str, token: &str) -> Result<Option<VouchedUser>, ApiError> {
        let key = omnireports_auth::hash_token(&format!("{user_id}\n{token}"));
        if let Some(at) = self.refused.get(&key) {
            if at.elapsed() < REMEMBER_REFUSED {
                return Ok(None);
            }
        }
        let request = self
            .agent
            .get(&self.me_url)
            .set("X-User-Id", user_id)
            .set("X-Auth-Token", token);
        let in_flight = self.in_flight.clone();
        let ask = async move {
            let permit = in_flight
                .acquire_owned()
                .await
                .map_err(ApiError::internal)?;
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                read(request.call())
            })
            .await
            .map_err(ApiError::internal)?
        };
        // Waiting for a turn counts: the whole question takes at most the timeout.
        let answer = tokio::time::timeout(self.timeout, ask)
            .await
            .map_err(|_| ApiError::unavailable("Rocket.Chat's /me did not answer in time"))??;
        match answer {
            Some(user) if user.id == user_id => Ok(Some(user)),
            _ => {
                self.refused.insert(key, Instant::now());
                Ok(None)
            }
        }
    }
}

/// 200 with a user, 401, or the cause of a 503 (logged, never sent).
fn read(answer: Result<ureq::Response, ureq::Error>) -> Result<Option<VouchedUser>, ApiError> {
    match answer {
        Ok(response) if response.status() == 200 => response
            .into_json::<VouchedUser>()
            .map(Some)
            .map_err(|error| ApiError::unavailable(format!("Rocket.Chat's /me: {error}"))),
        Err(ureq::Error::Status(401, _)) => Ok(None),
        Ok(response) => Err(ApiError::unavailable(format!(
            "Rocket.Chat's /me answered {}",
            response.status()
        ))),
        Err(error) => Err(ApiError::unavailable(format!("Rocket.Chat's /me: {error}"))),
    }
}
