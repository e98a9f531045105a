//! Demo data: a contact centre's year, for `make run` and for trying the reports.
//!
//! Deterministic (seeded) so the same day gives the same numbers; conversations are spread over
//! the past year with weekday and office-hour peaks, across sources, statuses, tags and agents,
//! including some without department and some of a deleted department.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use diesel::prelude::*;
use omnireports_db::models::{
    text_array, NewConversation, NewDepartment, NewToken, NewUnitMonitor, NewUser,
    PERSONAL_ACCESS_TOKEN,
};
use omnireports_db::schema::{conversations, departments, unit_monitors, user_tokens, users};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Every demo user's password.
pub const DEMO_PASSWORD: &str = "demo-password";

/// A demo user and the credentials printed for it.
#[derive(Debug, Clone)]
pub struct DemoCredential {
    pub role: &'static str,
    pub user_id: String,
    pub username: &'static str,
    pub token: String,
    /// The base32 secret of the user's authenticator app, for the two-factor user.
    pub totp_secret: Option<String>,
}

/// What `load` wrote.
#[derive(Debug)]
pub struct DemoSummary {
    pub conversations: usize,
    pub credentials: Vec<DemoCredential>,
}

/// The two-factor demo user: a manager whose login needs an authenticator code.
const LEAD: &str = "demo-lead";

const UNIT: (&str, &str) = ("demo-unit-europe", "Europe");
/// (id, name, in the Europe unit)
const DEPARTMENTS: [(&str, &str, bool); 6] = [
    ("demo-dep-sales", "Sales", true),
    ("demo-dep-support", "Support", true),
    ("demo-dep-billing", "Billing", false),
    ("demo-dep-onboarding", "Onboarding", false),
    ("demo-dep-sales-us", "Sales", false),
    ("demo-dep-vip", "VIP", true),
];
/// Conversations of this department exist; the department itself was deleted.
const DELETED_DEPARTMENT: &str = "demo-dep-retired";
/// (id, username, name); the last one has no user record.
const AGENTS: [(&str, &str, Option<&str>); 5] = [
    ("demo-agent-ana", "ana", Some("Ana Agent")),
    ("demo-agent-ben", "ben", Some("Ben Agent")),
    ("demo-agent-cho", "cho", Some("Cho Agent")),
    ("demo-agent-dev", "dev", None),
    ("demo-agent-gone", "gone", None),
];
const TAGS: [&str; 5] = ["billing", "refund", "bug", "feedback", "vip"];
/// (type, alias) with relative weights below.
const SOURCES: [(&str, Option<&str>); 6] = [
    ("widget", None),
    ("email", None),
    ("sms", None),
    ("app", Some("WhatsApp")),
    ("api", None),
    ("other", None),
];
const SOURCE_WEIGHTS: [u32; 6] = [55, 15, 8, 12, 6, 4];

/// True when the demo users exist already.
pub fn is_loaded(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::id.eq("demo-admin")),
    ))
    .get_result(conn)
}

/// Loads the demo in one transaction, relative to `now`.
pub fn load(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<DemoSummary> {
    conn.transaction(|conn| {
        insert_structure(conn)?;
        let credentials = insert_users(conn, now)?;
        let rows = conversations_for_year(now);
        for chunk in rows.chunks(1_000) {
            diesel::insert_into(conversations::table)
                .values(chunk)
                .execute(conn)?;
        }
        Ok(DemoSummary {
            conversations: rows.len(),
            credentials,
        })
    })
}

fn insert_structure(conn: &mut PgConnection) -> QueryResult<()> {
    let unit = NewDepartment {
        id: UNIT.0.into(),
        name: UNIT.1.into(),
        enabled: true,
        type_: "u".into(),
        ancestors: vec![],
    };
    let mut rows = vec![unit];
    rows.extend(
        DEPARTMENTS
            .iter()
            .map(|&(id, name, in_unit)| NewDepartment {
                id: id.into(),
                name: name.into(),
                enabled: true,
                type_: "d".into(),
                ancestors: if in_unit {
                    text_array([UNIT.0])
                } else {
                    vec![]
                },
            }),
    );
    diesel::insert_into(departments::table)
        .values(&rows)
        .execute(conn)?;
    diesel::insert_into(unit_monitors::table)
        .values(NewUnitMonitor {
            id: "demo-monitor-europe".into(),
            monitor_id: "demo-monitor".into(),
            unit_id: UNIT.0.into(),
            username: Some("monitor".into()),
        })
        .execute(conn)?;
    Ok(())
}

fn insert_users(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Vec<DemoCredential>> {
    let people = [
        ("admin", "demo-admin", "Ada Admin", &["user", "admin"][..]),
        (
            "manager",
            "demo-manager",
            "Mia Manager",
            &["user", "livechat-manager"],
        ),
        (
            "monitor",
            "demo-monitor",
            "Mo Monitor",
            &["user", "livechat-monitor"],
        ),
        (
            "agent",
            "demo-agent",
            "Al Agent",
            &["user", "livechat-agent"],
        ),
        ("lead", LEAD, "Lee Lead", &["user", "livechat-manager"]),
    ];
    let mut rows: Vec<NewUser> = people
        .iter()
        .map(|&(username, id, name, roles)| NewUser {
            id: id.into(),
            username: Some(username.into()),
            name: Some(name.into()),
            active: true,
            roles: text_array(roles.iter().copied()),
        })
        .collect();
    rows.extend(AGENTS.iter().take(4).map(|&(id, username, name)| NewUser {
        id: id.into(),
        username: Some(username.into()),
        name: name.map(Into::into),
        active: true,
        roles: text_array(["user", "livechat-agent"]),
    }));
    diesel::insert_into(users::table)
        .values(&rows)
        .execute(conn)?;
    let mut credentials = Vec::new();
    for (role, id, _, _) in people {
        // Rocket.Chat's default cost, as an export's hashes have.
        omnireports_auth::login::set_password(conn, id, Some(DEMO_PASSWORD), 10)?;
        let email =
            serde_json::json!([{"address": format!("{role}@example.com"), "verified": true}]);
        diesel::update(users::table.find(id))
            .set(users::emails.eq(email))
            .execute(conn)?;
        let token = omnireports_auth::generate_token();
        diesel::insert_into(user_tokens::table)
            .values(NewToken {
                user_id: id.into(),
                hashed_token: omnireports_auth::hash_token(&token),
                kind: PERSONAL_ACCESS_TOKEN.into(),
                name: Some("demo".into()),
                issued_at: now,
                issuer: omnireports_db::models::ISSUED_BY_OMNIREPORTS.into(),
            })
            .execute(conn)?;
        let totp_secret = match id {
            LEAD => Some(omnireports_auth::admin::enable_totp(conn, id)?),
            _ => None,
        };
        credentials.push(DemoCredential {
            role,
            user_id: id.into(),
            username: role,
            token,
            totp_secret,
        });
    }
    Ok(credentials)
}

/// About 40 conversations a weekday, 12 a weekend day, over the 365 days before `now`.
fn conversations_for_year(now: DateTime<Utc>) -> Vec<NewConversation> {
    let mut rng = StdRng::seed_from_u64(2026);
    let first_day = (now - Duration::days(365)).date_naive();
    let mut rows = Vec::new();
    for day in first_day.iter_days().take(366) {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let count = if weekend {
            rng.random_range(6..18)
        } else {
            rng.random_range(28..52)
        };
        for _ in 0..count {
            let ts = day.and_time(office_hour_time(&mut rng)).and_utc();
            if ts < now {
                rows.push(conversation(&mut rng, rows.len(), ts, now));
            }
        }
    }
    rows
}

/// Most conversations between 09:00 and 18:00, with a lunch dip.
fn office_hour_time(rng: &mut StdRng) -> chrono::NaiveTime {
    const HOUR_WEIGHTS: [u32; 24] = [
        1, 1, 1, 1, 1, 2, 3, 6, 10, 14, 16, 15, 10, 12, 15, 14, 12, 9, 6, 4, 3, 2, 2, 1,
    ];
    let hour = pick_weighted(rng, &HOUR_WEIGHTS) as u32;
    let seconds = rng.random_range(0..3_600);
    chrono::NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default()
        + Duration::seconds(i64::from(seconds))
}

fn pick_weighted(rng: &mut StdRng, weights: &[u32]) -> usize {
    let mut roll = rng.random_range(0..weights.iter().sum::<u32>());
    for (index, &weight) in weights.iter().enumerate() {
        if roll < weight {
            return index;
        }
        roll -= weight;
    }
    weights.len() - 1
}

fn conversation(
    rng: &mut StdRng,
    n: usize,
    ts: DateTime<Utc>,
    now: DateTime<Utc>,
) -> NewConversation {
    let department = match rng.random_range(0..100) {
        0..10 => None,
        10..13 => Some((DELETED_DEPARTMENT, false)),
        _ => {
            let (id, _, in_unit) = DEPARTMENTS[rng.random_range(0..DEPARTMENTS.len())];
            Some((id, in_unit))
        }
    };
    let (source_type, source_alias) = SOURCES[pick_weighted(rng, &SOURCE_WEIGHTS)];
    let recent = now - ts < Duration::hours(36);
    let status = rng.random_range(0..100);
    let open = recent && status < 70;
    let agent = (!open || status < 45).then(|| AGENTS[rng.random_range(0..AGENTS.len())]);
    let tags: Vec<&str> = TAGS
        .iter()
        .copied()
        .filter(|_| rng.random_range(0..100) < 18)
        .collect();
    let duration = rng.random_range(60.0..3_600.0_f64);
    NewConversation {
        id: format!("demo-room-{n:06}"),
        ts,
        department_id: department.map(|(id, _)| id.to_owned()),
        department_ancestors: match department {
            Some((_, true)) => text_array([UNIT.0]),
            _ => vec![],
        },
        source_type: Some(source_type.to_owned()),
        source_alias: source_alias.map(str::to_owned),
        open,
        on_hold: open && agent.is_some() && status < 10,
        served_by_id: agent.map(|(id, _, _)| id.to_owned()),
        served_by_username: agent.map(|(_, username, _)| username.to_owned()),
        tags: text_array(tags),
        chat_duration: (!open).then_some(duration),
        closed_at: (!open).then(|| ts + Duration::seconds(duration as i64)),
    }
}
