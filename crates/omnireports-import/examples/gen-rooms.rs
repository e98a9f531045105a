//! Writes N livechat rooms twice, for `make bench-import`: as `mongoexport` would (JSON Lines,
//! relaxed Extended JSON, with the other fields a real room has) in `DIR/rocketchat_room.json`,
//! and as the same `conversations` rows in CSV in `DIR/conversations.csv`.
//!
//! `cargo run --release -p omnireports-import --example gen-rooms -- N DIR`

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

const DEPARTMENTS: u64 = 50;
const AGENTS: u64 = 200;
const TAGS: [&str; 6] = ["billing", "sales", "bug", "vip", "refund", "onboarding"];
const SOURCES: [&str; 4] = ["widget", "email", "sms", "api"];
/// 2026-01-01T00:00:00Z.
const EPOCH_MS: u64 = 1_767_225_600_000;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(n), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: gen-rooms N DIR");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("N is a number");
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    let mut json =
        BufWriter::with_capacity(1 << 20, File::create(dir.join("rocketchat_room.json"))?);
    let mut csv = BufWriter::with_capacity(1 << 20, File::create(dir.join("conversations.csv"))?);
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    for i in 0..n {
        let room = Room::new(i, &mut random);
        room.write_json(&mut json)?;
        room.write_csv(&mut csv)?;
    }
    json.flush()?;
    csv.flush()
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

struct Room {
    id: String,
    ts: u64,
    department: u64,
    source: &'static str,
    open: bool,
    on_hold: bool,
    agent: Option<u64>,
    tags: Vec<&'static str>,
    duration: Option<u64>,
    visitor: u64,
}

impl Room {
    fn new(i: u64, r: &mut XorShift) -> Self {
        let open = r.next(10) < 2;
        let agent = (r.next(10) < 9).then(|| r.next(AGENTS));
        let tags = (0..r.next(3)).map(|_| TAGS[r.next(6) as usize]).collect();
        Self {
            id: format!("{i:017x}"),
            ts: EPOCH_MS + r.next(300 * 86_400_000),
            department: r.next(DEPARTMENTS),
            source: SOURCES[r.next(4) as usize],
            open,
            on_hold: open && r.next(10) == 0,
            agent,
            tags,
            duration: (!open).then(|| 60 + r.next(3600)),
            visitor: r.next(1_000_000),
        }
    }

    fn write_json(&self, out: &mut impl Write) -> std::io::Result<()> {
        let ts = iso(self.ts);
        write!(
            out,
            r#"{{"_id":"{id}","fname":"Visitor {v}","t":"l","ts":{{"$date":"{ts}"}},"v":{{"_id":"visitor{v}","username":"guest-{v}","token":"tok{v}xk2p9q","status":"online"}},"cl":{cl},"open":{open},"msgs":{msgs},"usersCount":2,"lm":{{"$date":"{ts}"}},"departmentId":"dep{d}","departmentAncestors":["unit{u}"],"source":{{"type":"{source}","alias":"{source}-main"}},"_updatedAt":{{"$date":"{ts}"}}"#,
            id = self.id,
            v = self.visitor,
            cl = !self.open,
            open = self.open,
            msgs = 4 + self.visitor % 20,
            d = self.department,
            u = self.department % 5,
            source = self.source,
        )?;
        if self.on_hold {
            out.write_all(br#","onHold":true"#)?;
        }
        if let Some(agent) = self.agent {
            write!(
                out,
                r#","servedBy":{{"_id":"agent{agent}","username":"agent.{agent}","ts":{{"$date":"{ts}"}}}},"responseBy":{{"_id":"agent{agent}","username":"agent.{agent}","firstResponseTs":{{"$date":"{ts}"}}}}"#
            )?;
        }
        if !self.tags.is_empty() {
            write!(out, r#","tags":["{}"]"#, self.tags.join(r#"",""#))?;
        }
        if let Some(duration) = self.duration {
            write!(
                out,
                r#","closedAt":{{"$date":"{closed}"}},"closer":"user","metrics":{{"v":{{"lq":{{"$date":"{ts}"}}}},"reaction":{{"fd":{{"$date":"{ts}"}},"ft":12.5,"tt":40.1}},"chatDuration":{duration}.25}}"#,
                closed = iso(self.ts + duration * 1000),
            )?;
        }
        out.write_all(b"}\n")
    }

    /// The `conversations` columns, in table order.
    fn write_csv(&self, out: &mut impl Write) -> std::io::Result<()> {
        let agent = self.agent.map(|a| format!("agent{a},agent.{a}"));
        let tags = self.tags.join(",");
        let (duration, closed) = match self.duration {
            Some(d) => (format!("{d}.25"), iso(self.ts + d * 1000)),
            None => (String::new(), String::new()),
        };
        writeln!(
            out,
            "{id},{ts},dep{d},{{unit{u}}},{source},{source}-main,{open},{hold},{agent},\"{{{tags}}}\",{duration},{closed}",
            id = self.id,
            ts = iso(self.ts),
            d = self.department,
            u = self.department % 5,
            source = self.source,
            open = self.open,
            hold = self.on_hold,
            agent = agent.as_deref().unwrap_or(","),
        )
    }
}

fn iso(millis: u64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(millis as i64).expect("in range");
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
