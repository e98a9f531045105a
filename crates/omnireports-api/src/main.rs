//! The `omnireports` binary: serve the API, migrate, load demo data, manage users and tokens.

use clap::{Parser, Subcommand};
use diesel::{Connection, PgConnection};
use omnireports_api::{demo, telemetry, AppState, Settings};
use omnireports_auth::admin;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "omnireports",
    version,
    about = "Rocket.Chat's Omnichannel Reports API, served from PostgreSQL"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Address to listen on (overrides `server.bind`).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load demo data and print the demo users' ids, usernames, password and tokens (KEY=VALUE
    /// lines on stdout).
    Demo {
        /// Do nothing (and print nothing) when the demo data is already loaded.
        #[arg(long)]
        if_empty: bool,
    },
    /// Print the shell script of the next increment: one `mongoexport … | omnireports import
    /// --collection C -` per collection, since the newest stamp each has committed.
    NextExport {
        /// The MongoDB URI of Rocket.Chat's database (else the script reads $MONGODB_URI).
        #[arg(long)]
        uri: Option<String>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Load a Rocket.Chat export (mongoexport JSON or mongodump BSON), all or nothing.
    Import {
        /// Directory of per-collection files (e.g. users.json, rocketchat_room.bson.gz), or a
        /// mongodump database directory; `-` reads the one collection named by `--collection`
        /// from standard input (mongoexport's JSON).
        path: PathBuf,
        /// The collection on standard input (`rocketchat_room`, `users`, `rocketchat__trash`…).
        #[arg(long)]
        collection: Option<String>,
        /// Import the valid documents and report the malformed ones instead of stopping.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an active user; prints only its id on stdout.
    Create {
        #[arg(long)]
        username: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Role id (repeatable), e.g. livechat-manager. Default: user.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Also give the user a password, read from standard input (its first line), or asked
        /// for without echo when standard input is a terminal.
        #[arg(long)]
        password: bool,
    },
    /// Set a user's password (for `POST /api/v1/login`), read from standard input (its first
    /// line), or asked for without echo when standard input is a terminal.
    SetPassword {
        /// The user's id or username.
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a token; prints only the token on stdout. Only its hash is stored.
    Create {
        /// The user's id or username.
        #[arg(long)]
        user: String,
        /// Make it a personal access token with this name (never expires).
        #[arg(long)]
        personal: Option<String>,
    },
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("omnireports: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), BoxError> {
    let settings = Settings::load()?;
    telemetry::init(&settings.log);
    match cli.command {
        Command::Serve { bind } => serve(settings, bind),
        Command::Migrate => {
            let applied = omnireports_db::run_pending_migrations(&mut connect(&settings)?)?;
            eprintln!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Demo { if_empty } => load_demo(&settings, if_empty),
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    name,
                    roles,
                    password,
                },
        } => {
            // Asked first: a wrong password then creates no user.
            let password = password.then(read_password).transpose()?;
            let conn = &mut connect(&settings)?;
            let id = conn.transaction(|conn| {
                let id = admin::create_user(conn, &username, name.as_deref(), &roles)?;
                if let Some(password) = &password {
                    admin::set_password(conn, &id, password)?;
                }
                Ok::<_, admin::AdminError>(id)
            })?;
            println!("{id}");
            eprintln!("created user {username:?} with id {id}");
            Ok(())
        }
        Command::User {
            command: UserCommand::SetPassword { user },
        } => {
            let password = read_password()?;
            admin::set_password(&mut connect(&settings)?, &user, &password)?;
            eprintln!("password set for {user:?}");
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { user, personal },
        } => {
            let token = admin::create_token(&mut connect(&settings)?, &user, personal.as_deref())?;
            println!("{token}");
            eprintln!("token created for {user:?}; it is shown only now");
            Ok(())
        }
        Command::Import {
            path,
            collection,
            skip_invalid,
        } => import(&settings, &path, collection.as_deref(), skip_invalid),
        Command::NextExport { uri } => {
            let watermarks = omnireports_import::watermarks(&mut connect(&settings)?)?;
            let program = std::env::current_exe()?;
            let program = program.to_str().unwrap_or("omnireports");
            let now = chrono::Utc::now();
            let script =
                omnireports_import::next_export_script(&watermarks, uri.as_deref(), program, now);
            print!("{script}");
            Ok(())
        }
    }
}

fn import(
    settings: &Settings,
    path: &std::path::Path,
    collection: Option<&str>,
    skip_invalid: bool,
) -> Result<(), BoxError> {
    let url = settings.database.url.expose_secret();
    let mut options = omnireports_import::Options {
        skip_invalid,
        progress: true,
    };
    let summary = match (path.to_str(), collection) {
        (Some("-"), Some(name)) => {
            let collection = omnireports_import::Collection::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = omnireports_import::COLLECTIONS
                    .iter()
                    .map(|c| c.name())
                    .collect();
                format!("unknown collection {name:?} (one of {})", names.join(", "))
            })?;
            // Standard input has no size to show progress against.
            options.progress = false;
            omnireports_import::import_stdin(url, collection, options)?
        }
        (Some("-"), None) => return Err("reading standard input (-) needs --collection".into()),
        (_, Some(_)) => return Err("--collection names what standard input holds: use -".into()),
        (_, None) => omnireports_import::import_url(url, path, options)?,
    };
    eprintln!("{summary}");
    Ok(())
}

/// A password from standard input: asked for without echo on a terminal, else its first line.
fn read_password() -> Result<String, BoxError> {
    use std::io::IsTerminal as _;
    let password = match std::io::stdin().is_terminal() {
        true => rpassword::prompt_password("Password: ")?,
        false => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let chars = password.chars().count();
    if chars == 0 {
        return Err("the password is empty".into());
    }
    if chars > omnireports_auth::login::MAX_PASSWORD_CHARS {
        return Err(format!(
            "the password is longer than {} characters: no login could send it",
            omnireports_auth::login::MAX_PASSWORD_CHARS
        )
        .into());
    }
    Ok(password)
}

fn connect(settings: &Settings) -> Result<PgConnection, BoxError> {
    Ok(PgConnection::establish(
        settings.database.url.expose_secret(),
    )?)
}

fn serve(settings: Settings, bind: Option<String>) -> Result<(), BoxError> {
    let address = bind.unwrap_or_else(|| settings.server.bind.clone());
    let listener = TcpListener::bind(&address)?;
    tracing::info!(%address, "omnireports listening");
    let state = AppState::from_settings(&settings);
    actix_web::rt::System::new().block_on(async move {
        omnireports_api::server(state, listener, settings.server.workers)?.await
    })?;
    Ok(())
}

fn load_demo(settings: &Settings, if_empty: bool) -> Result<(), BoxError> {
    let conn = &mut connect(settings)?;
    if demo::is_loaded(conn)? {
        if if_empty {
            eprintln!("demo data already loaded");
            return Ok(());
        }
        return Err("demo data already loaded".into());
    }
    let summary = demo::load(conn, chrono::Utc::now())?;
    eprintln!("loaded {} demo conversations", summary.conversations);
    println!("DEMO_PASSWORD={}", demo::DEMO_PASSWORD);
    for credential in summary.credentials {
        let key = credential.role.to_uppercase();
        println!("DEMO_{key}_ID={}", credential.user_id);
        println!("DEMO_{key}_USERNAME={}", credential.username);
        println!("DEMO_{key}_TOKEN={}", credential.token);
        if let Some(secret) = credential.totp_secret {
            println!("DEMO_{key}_TOTP_SECRET={secret}");
        }
    }
    Ok(())
}
