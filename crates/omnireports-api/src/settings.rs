//! Configuration: built-in defaults (`config/default.toml`), then `config/default.toml` and
//! `config/$OMNIREPORTS_ENV.toml` from `$OMNIREPORTS_CONFIG_DIR` (default `config`) when present,
//! then `DATABASE_URL`, then `OMNIREPORTS_<SECTION>__<KEY>` environment variables.

use chrono_tz::Tz;
use config::{Config, Environment, File, FileFormat};
use ipnet::IpNet;
use omnireports_db::PoolSettings;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use std::collections::HashMap;

const DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Zone of dates without an offset and of the one-year rule.
    #[serde(deserialize_with = "time_zone")]
    pub timezone: Tz,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub log: LogSettings,
    pub cors: CorsSettings,
    pub cache: CacheSettings,
    pub aggregates: AggregatesSettings,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct AggregatesSettings {
    /// How often the server folds logged changes into the aggregates; 0 = never (another
    /// server or a scheduled `SELECT engine.fold_changes(NULL)` does it).
    pub fold_interval_ms: u64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct CacheSettings {
    /// Bytes of report answers kept by data version; 0 = off.
    pub max_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    /// HTTP workers; 0 means one per core.
    pub workers: usize,
    /// Proxies whose `X-Forwarded-For` is believed (addresses or networks); empty = none.
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<IpNet>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CorsSettings {
    /// Origins allowed to call the API from a browser; `*` = any; empty = CORS off.
    pub allowed_origins: Vec<String>,
    /// How long browsers may cache a preflight answer.
    pub max_age_secs: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: SecretString,
    /// Reports read from here when set (a streaming replica); writes use `url`.
    pub read_url: Option<SecretString>,
    /// The pools' settings, as keys of this same section.
    #[serde(flatten)]
    pub pool: PoolSettings,
    /// Most blocking threads running queries at once; 0 means `max_size`.
    pub blocking_threads: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub login_expiration_days: u32,
    /// A Rocket.Chat to ask (`GET /api/v1/me`) about credential pairs omnireports does not
    /// know; empty = never ask.
    pub rocketchat_url: String,
    /// How long that answer may take before the request gets a 503.
    pub rocketchat_timeout_ms: u64,
    /// Threads for the bcrypt checks, at nice 19 (0 = half the cores; at most one fewer than
    /// the cores, at least one): logins then take only the CPU the reports leave idle.
    pub password_checks: usize,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub calls: u32,
    pub window_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// `tracing` EnvFilter directives (RUST_LOG wins when set).
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Loads the layered configuration from the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(std::env::vars().collect())
    }

    /// Loads with `vars` as the environment (tests pass their own).
    pub fn load_from(vars: HashMap<String, String>) -> Result<Self, SettingsError> {
        let env = |name: &str| vars.get(name).cloned();
        let dir = env("OMNIREPORTS_CONFIG_DIR").unwrap_or_else(|| "config".into());
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::with_name(&format!("{dir}/default")).required(false));
        if let Some(name) = env("OMNIREPORTS_ENV") {
            builder = builder.add_source(File::with_name(&format!("{dir}/{name}")).required(false));
        }
        if let Some(url) = env("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        let settings: Settings = builder
            .add_source(
                Environment::with_prefix("OMNIREPORTS")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("server.trusted_proxies")
                    .with_list_parse_key("cors.allowed_origins")
                    .source(Some(vars.clone())),
            )
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |message: &str| Err(SettingsError::Invalid(message.to_owned()));
        if self.database.pool.max_size == 0 {
            return invalid("database.max_size must be at least 1");
        }
        if self.rate_limit.enabled && (self.rate_limit.calls == 0 || self.rate_limit.window_ms == 0)
        {
            return invalid("rate_limit.calls and rate_limit.window_ms must be positive");
        }
        if let Some(origin) = self
            .cors
            .allowed_origins
            .iter()
            .find(|origin| !crate::cors::is_valid_origin(origin))
        {
            let message =
                format!("cors.allowed_origins: {origin:?} is not `*` or scheme://host[:port]");
            return invalid(&message);
        }
        let url = &self.auth.rocketchat_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return invalid("auth.rocketchat_url must be empty or an http:// or https:// URL");
        }
        if !url.is_empty() && self.auth.rocketchat_timeout_ms == 0 {
            return invalid("auth.rocketchat_timeout_ms must be positive");
        }
        if self.auth.login_expiration_days == 0 {
            return invalid("auth.login_expiration_days must be at least 1");
        }
        Ok(())
    }
}

fn networks<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    let entries = Vec::<String>::deserialize(deserializer)?;
    crate::client_ip::parse_networks(&entries).map_err(serde::de::Error::custom)
}

fn time_zone<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tz, D::Error> {
    let name = String::deserialize(deserializer)?;
    name.parse()
        .map_err(|_| serde::de::Error::custom(format!("unknown time zone {name:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::load_from(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_load_without_any_file_or_variable() {
        let settings = load(&[("OMNIREPORTS_CONFIG_DIR", "/nonexistent")]).unwrap();
        assert_eq!(settings.timezone, Tz::UTC);
        assert_eq!(settings.server.bind, "127.0.0.1:3000");
        assert_eq!(settings.auth.login_expiration_days, 90);
        assert!(settings.rate_limit.enabled);
        assert_eq!(settings.rate_limit.calls, 10);
        assert_eq!(settings.rate_limit.window_ms, 60_000);
    }

    #[test]
    fn environment_variables_override_the_files() {
        let settings = load(&[
            ("OMNIREPORTS_RATE_LIMIT__CALLS", "25"),
            ("OMNIREPORTS_TIMEZONE", "America/Sao_Paulo"),
            ("DATABASE_URL", "postgres://example/db"),
            ("OMNIREPORTS_LOG__FORMAT", "json"),
        ])
        .unwrap();
        assert_eq!(settings.rate_limit.calls, 25);
        assert_eq!(settings.timezone, chrono_tz::America::Sao_Paulo);
        assert_eq!(
            settings.database.url.expose_secret(),
            "postgres://example/db"
        );
        assert_eq!(settings.log.format, LogFormat::Json);
    }

    #[test]
    fn lists_come_comma_separated_from_the_environment() {
        let settings = load(&[
            (
                "OMNIREPORTS_SERVER__TRUSTED_PROXIES",
                "10.0.0.0/8,192.0.2.7",
            ),
            (
                "OMNIREPORTS_CORS__ALLOWED_ORIGINS",
                "https://chat.example.com",
            ),
        ])
        .unwrap();
        let proxies: Vec<String> = settings
            .server
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(proxies, ["10.0.0.0/8", "192.0.2.7/32"]);
        assert_eq!(settings.cors.allowed_origins, ["https://chat.example.com"]);
        assert!(load(&[("OMNIREPORTS_SERVER__TRUSTED_PROXIES", "nonsense")]).is_err());
    }

    #[test]
    fn invalid_values_are_rejected() {
        assert!(load(&[("OMNIREPORTS_TIMEZONE", "Mars/Olympus")]).is_err());
        assert!(load(&[("OMNIREPORTS_DATABASE__MAX_SIZE", "0")]).is_err());
    }

    #[test]
    fn pool_keys_of_the_database_section_come_from_the_environment() {
        let settings = load(&[
            ("OMNIREPORTS_DATABASE__MAX_SIZE", "4"),
            ("OMNIREPORTS_DATABASE__MIN_IDLE", "2"),
            ("OMNIREPORTS_DATABASE__STATEMENT_TIMEOUT_MS", "200"),
        ])
        .unwrap();
        let pool = &settings.database.pool;
        assert_eq!((pool.max_size, pool.min_idle), (4, Some(2)));
        assert_eq!(pool.statement_timeout_ms, 200);
        assert_eq!(pool.acquire_timeout_ms, 2_000);
    }
}
