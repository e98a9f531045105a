//! `omnireports next-export`: the shell script of the next increment, from the watermarks of
//! the committed imports.

use crate::collection::Collection;
use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// How far back of its watermark an increment starts: a write in flight when an export began
/// can carry a stamp just before it, and re-reading it is harmless (imports upsert by `_id`).
pub const OVERLAP: Duration = Duration::minutes(1);

/// The collections of the trash that an import applies; other entries would be ignored.
const TRASHED: &str = r#"["room","livechat_department","livechat_unit_monitors","users"]"#;

/// A POSIX shell script with one `mongoexport … | omnireports import --collection C -` line
/// per collection: upserts first, the trash last, `users` whole (a new login does not move
/// `_updatedAt`). `watermarks` are the newest committed stamps ([`crate::watermarks`]); a
/// collection without one is exported whole. `uri` is the MongoDB URI (else the script reads
/// `$MONGODB_URI`); `program` the omnireports to pipe into.
pub fn next_export_script(
    watermarks: &[(Collection, DateTime<Utc>)],
    uri: Option<&str>,
    program: &str,
    now: DateTime<Utc>,
) -> String {
    let uri = uri.map_or_else(
        || r#""${MONGODB_URI:?set MONGODB_URI or pass --uri}""#.to_owned(),
        quote,
    );
    let mut script = format!(
        "#!/bin/sh\n\
         # omnireports' next increment, written {}: each collection since its newest\n\
         # committed stamp less {} s, users whole, deletions (the trash) last.\n\
         set -eu\n",
        now.to_rfc3339_opts(SecondsFormat::Secs, true),
        OVERLAP.num_seconds()
    );
    for collection in Collection::ALL {
        let since = watermarks
            .iter()
            .find(|(c, _)| *c == collection)
            .map(|(_, newest)| *newest - OVERLAP);
        let query = query(collection, since);
        let query = query
            .map(|q| format!(" --query {}", quote(&q)))
            .unwrap_or_default();
        script.push_str(&format!(
            "mongoexport --quiet --uri {uri} --collection {name}{query} | {program} import --collection {name} -\n",
            name = collection.name(),
            program = quote(program),
        ));
    }
    script
}

/// The `--query` of `collection` for what changed since `since`; `None` exports it whole.
fn query(collection: Collection, since: Option<DateTime<Utc>>) -> Option<String> {
    let since = since.map(|t| {
        let date = t.to_rfc3339_opts(SecondsFormat::Millis, true);
        format!(
            r#""{}":{{"$gte":{{"$date":"{date}"}}}}"#,
            collection.stamp_field()
        )
    });
    match collection {
        Collection::Users => None,
        Collection::Trash => Some(format!(
            r#"{{{}"__collection__":{{"$in":{TRASHED}}}}}"#,
            since.map(|s| s + ",").unwrap_or_default()
        )),
        _ => since.map(|s| format!("{{{s}}}")),
    }
}

/// `text` as one word of a POSIX shell: single-quoted, a `'` written `'\''`.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn each_collection_is_asked_for_since_its_watermark_less_a_minute() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
        let marks = [
            (Collection::Rooms, at),
            (Collection::Trash, at),
            (Collection::Users, at),
        ];
        let script = next_export_script(&marks, Some("mongodb://h/rc?x='y'"), "omnireports", at);
        let lines: Vec<&str> = script
            .lines()
            .filter(|l| l.starts_with("mongoexport"))
            .collect();
        assert_eq!(lines.len(), Collection::ALL.len());
        let uri = r#"--uri 'mongodb://h/rc?x='\''y'\'''"#;
        assert_eq!(
            lines[5],
            format!(
                r#"mongoexport --quiet {uri} --collection rocketchat_room --query '{{"_updatedAt":{{"$gte":{{"$date":"2026-12-03T11:59:00.000Z"}}}}}}' | 'omnireports' import --collection rocketchat_room -"#
            )
        );
        assert!(
            lines[2].contains("--collection users | "),
            "users whole: {}",
            lines[2]
        );
        assert!(
            lines[0].contains("--collection rocketchat_roles | "),
            "no watermark, whole"
        );
        assert!(lines[6].contains(
            r#"--query '{"_deletedAt":{"$gte":{"$date":"2026-12-03T11:59:00.000Z"}},"__collection__":{"$in":["room","livechat_department","livechat_unit_monitors","users"]}}'"#
        ), "{}", lines[6]);
    }

    #[test]
    fn without_a_uri_the_script_reads_it_from_the_environment() {
        let script = next_export_script(&[], None, "/usr/bin/omnireports", Utc::now());
        assert!(script.contains(r#"--uri "${MONGODB_URI:?set MONGODB_URI or pass --uri}""#));
        assert!(script.starts_with("#!/bin/sh\n"));
    }
}
