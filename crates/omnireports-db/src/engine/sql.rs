//! The SQL text generated from the dimensions: aggregate tables, the change log's columns, and
//! the functions and triggers of the engine's schema.

use super::{packed, Dimension, Level, FOLD_LOCK, SCHEMA};

/// One aggregate table and the columns it counts by.
#[derive(Debug)]
pub(super) struct Table {
    pub name: &'static str,
    pub(super) kind: Kind,
    pub(super) columns: Vec<Column>,
    joins: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Keyed (level, bucket, keys): the unrestricted table.
    Plain,
    /// Keyed (level, department, ancestors, bucket, keys).
    Scoped,
    /// Keyed (level, unit, bucket, keys), counted under every unit that may see a row.
    Unit,
}

#[derive(Debug)]
pub(super) struct Column {
    pub(super) name: &'static str,
    pub(super) sql_type: &'static str,
    pub(super) expression: &'static str,
}

const SCOPE: [Column; 2] = [
    Column {
        name: "department_id",
        sql_type: "text",
        expression: "c.department_id",
    },
    Column {
        name: "department_ancestors",
        sql_type: "text[] NOT NULL",
        expression: "c.department_ancestors",
    },
];

const UNIT: Column = Column {
    name: "unit",
    sql_type: "text NOT NULL",
    expression: "u.unit",
};

/// The rows of a fold, with their sign (a temporary copy of the logged rows it moves).
const FOLDING: &str = "omnireports_folding";

/// The tables of `dimension`: plain, then scoped, then per unit.
pub(super) fn tables(dimension: &Dimension) -> Vec<Table> {
    let keys = || {
        dimension.keys.iter().map(|key| Column {
            name: key.column,
            sql_type: key.sql_type,
            expression: key.expression,
        })
    };
    let mut tables = vec![Table {
        name: dimension.table,
        kind: Kind::Plain,
        columns: keys().collect(),
        joins: dimension.joins.to_owned(),
    }];
    if let Some(name) = dimension.scoped_table {
        tables.push(Table {
            name,
            kind: Kind::Scoped,
            columns: SCOPE.into_iter().chain(keys()).collect(),
            joins: dimension.joins.to_owned(),
        });
    }
    if let Some(name) = dimension.unit_table {
        tables.push(Table {
            name,
            kind: Kind::Unit,
            columns: std::iter::once(UNIT).chain(keys()).collect(),
            joins: dimension.joins.to_owned(),
        });
    }
    tables
}

/// Every table of every dimension.
pub(super) fn all_tables(dimensions: &[&Dimension]) -> Vec<Table> {
    dimensions.iter().flat_map(|d| tables(d)).collect()
}

impl Table {
    /// `CREATE TABLE` with the unique key every upsert and report reads by.
    pub(super) fn create(&self) -> String {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.sql_type))
            .collect();
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        let key = match self.kind {
            Kind::Plain => format!("level, bucket, {}", names.join(", ")),
            Kind::Scoped | Kind::Unit => {
                let (scope, rest) = names.split_at(if self.kind == Kind::Unit { 1 } else { 2 });
                let rest = rest.iter().map(|n| format!(", {n}")).collect::<String>();
                format!("level, {}, bucket{rest}", scope.join(", "))
            }
        };
        format!(
            "CREATE TABLE {name} (level smallint NOT NULL, bucket timestamptz NOT NULL, {columns}, \
             n bigint NOT NULL, CONSTRAINT {name}_key UNIQUE NULLS NOT DISTINCT ({key}) INCLUDE (n))",
            name = self.name,
            columns = columns.join(", "),
        )
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        names.join(", ")
    }

    /// What the table's comment records of its layout: its levels, so that a database laid out
    /// for others is counted anew.
    pub(super) fn layout(&self) -> String {
        let levels: Vec<String> = self
            .levels()
            .iter()
            .map(|l| (*l as i16).to_string())
            .collect();
        format!("omnireports levels {}", levels.join(","))
    }

    /// The table's levels, finest first.
    pub(super) fn levels(&self) -> &'static [Level] {
        match self.kind {
            Kind::Plain => &Level::PLAIN,
            Kind::Scoped | Kind::Unit => &Level::SCOPED,
        }
    }

    /// One statement adding the signed rows `delta` (an SQL query, its rows called `c`) to
    /// `target` at every level: the finest from the rows, every coarser level from the finer one.
    /// With `upsert`, into the filled table; else plain INSERTs into an empty copy.
    pub(super) fn add(&self, delta: &str, target: &str, upsert: bool) -> String {
        let exprs: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} AS {}", c.expression, c.name))
            .collect();
        let names = self.names();
        let groups: Vec<String> = (1..=self.columns.len() + 1)
            .map(|i| i.to_string())
            .collect();
        let groups = groups.join(", ");
        let units = match self.kind {
            Kind::Unit => units_of(delta),
            _ => String::new(),
        };
        let levels = self.levels();
        let mut ctes = vec![format!(
            "l{} AS (SELECT {} AS bucket, {}, {SCHEMA}.total(c.sign) AS n FROM ({delta}) AS c{units}{} GROUP BY {groups})",
            levels[0] as i16,
            levels[0].bucket_sql("c.ts"),
            exprs.join(", "),
            self.joins,
        )];
        for pair in levels.windows(2) {
            let (finer, level) = (pair[0] as i16, pair[1]);
            ctes.push(format!(
                "l{} AS (SELECT {} AS bucket, {names}, {SCHEMA}.total(n) AS n FROM l{finer} GROUP BY {groups})",
                level as i16,
                level.bucket_sql("bucket"),
            ));
        }
        let selects: Vec<String> = levels
            .iter()
            .map(|level| format!("SELECT {0}::smallint, * FROM l{0}", *level as i16))
            .collect();
        let conflict = match upsert {
            true => format!(
                " ON CONFLICT ON CONSTRAINT {}_key DO UPDATE SET n = a.n + excluded.n",
                self.name
            ),
            false => String::new(),
        };
        format!(
            "WITH {} INSERT INTO {target} AS a {}{conflict}",
            ctes.join(", "),
            selects.join(" UNION ALL ")
        )
    }
}

/// The join giving each row of `delta` (called `c`) the units that may see it, looked up once
/// per scope (OFFSET 0 keeps the lookup from running per row) and hash-joined to the rows
/// (coalesce makes the key hashable, IS NOT DISTINCT FROM keeps it exact).
fn units_of(delta: &str) -> String {
    format!(
        " JOIN (SELECT s.department_id, s.department_ancestors, u.unit FROM (\
           SELECT DISTINCT department_id, department_ancestors FROM ({delta}) AS d) AS s \
           CROSS JOIN LATERAL unnest({SCHEMA}.units(s.department_id, s.department_ancestors)) AS u(unit) \
           OFFSET 0) AS u \
         ON coalesce(u.department_id, '') = coalesce(c.department_id, '') \
         AND u.department_ancestors = c.department_ancestors \
         AND u.department_id IS NOT DISTINCT FROM c.department_id"
    )
}

/// The columns of the change log after `sign`: the creation time, the scope, and every column
/// a dimension reads, each once.
pub(super) fn logged_columns(dimensions: &[&Dimension]) -> Vec<&'static str> {
    let mut columns = vec!["ts", "department_id", "department_ancestors"];
    for column in dimensions.iter().flat_map(|d| d.reads.iter()) {
        if !columns.contains(column) {
            columns.push(column);
        }
    }
    columns
}

/// The change log, empty, with the types of the conversations' columns.
pub(super) fn create_log(dimensions: &[&Dimension]) -> String {
    format!(
        "CREATE TABLE conversation_changes WITH (\
           autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, \
           autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000, \
           vacuum_truncate = false) \
         AS SELECT 1::smallint AS sign, {} FROM conversations WITH NO DATA",
        logged_columns(dimensions).join(", ")
    )
}

/// The whole engine schema: functions, then the triggers that call them.
pub(super) fn schema(dimensions: &[&Dimension]) -> String {
    let tables = all_tables(dimensions);
    [
        format!("CREATE SCHEMA {SCHEMA}"),
        BUCKETS_AND_UNITS.replace("{SCHEMA}", SCHEMA),
        DATA_VERSION.replace("{SCHEMA}", SCHEMA),
        REVOKE_TOKENS.replace("{SCHEMA}", SCHEMA),
        log_triggers(dimensions),
        truncate_trigger(&tables, &packed_names(&tables)),
        fold(&tables),
        refill(&tables),
        refill_units(&tables),
        rebuild(),
        department_moves(&tables),
    ]
    .join(";\n")
}

/// What does not depend on the dimensions: bucket functions and units, then the data version,
/// then token revocation.
pub(super) const BUCKETS_AND_UNITS: &str = r#"
CREATE FUNCTION {SCHEMA}.week(day timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (date_trunc('month', day AT TIME ZONE 'UTC')
            + make_interval(days => least((extract(day FROM day AT TIME ZONE 'UTC')::int - 1) / 7 * 7, 28)))
           AT TIME ZONE 'UTC';
CREATE FUNCTION {SCHEMA}.month(ts timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
-- sum(bigint) without its numeric state and result: the reports add up tens of thousands of
-- counts per answer. int8pl is bigint's `+`, so an overflow is an error, never a wrong count.
CREATE AGGREGATE {SCHEMA}.total(bigint) (
    SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, INITCOND = '0', PARALLEL = SAFE);
-- The units that may see a conversation of `department` whose own ancestors are `ancestors`.
CREATE FUNCTION {SCHEMA}.units(department text, ancestors text[]) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT u FROM unnest(ancestors || coalesce(
        (SELECT d.ancestors FROM public.departments d WHERE d.id = department), '{}')) AS u)"#;

const DATA_VERSION: &str = r#"
-- Every statement that writes what reports read moves the data version (the report cache).
CREATE FUNCTION {SCHEMA}.bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE data_version SET version = version + 1;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER conversations_data_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON conversations
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.bump_data_version();
CREATE TRIGGER departments_data_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.bump_data_version();
CREATE TRIGGER users_data_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.bump_data_version()"#;

pub(super) const REVOKE_TOKENS: &str = r#"
-- Deactivating a user revokes every token they hold, as Rocket.Chat unsets their loginTokens.
CREATE FUNCTION {SCHEMA}.revoke_tokens_of_deactivated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM user_tokens WHERE user_id = NEW.id;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER users_deactivated_revoke_tokens
    AFTER UPDATE OF active ON users
    FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)
    EXECUTE FUNCTION {SCHEMA}.revoke_tokens_of_deactivated()"#;

/// Statement triggers appending each statement's rows, signed, to the change log, unless the
/// transaction deferred the aggregates (a rebuild follows). An UPDATE logs only the rows whose
/// logged columns changed.
fn log_triggers(dimensions: &[&Dimension]) -> String {
    let columns = logged_columns(dimensions).join(", ");
    let events = [
        (
            "inserted",
            "INSERT",
            "REFERENCING NEW TABLE AS new_rows",
            format!("SELECT 1, {columns} FROM new_rows"),
        ),
        (
            "deleted",
            "DELETE",
            "REFERENCING OLD TABLE AS old_rows",
            format!("SELECT -1, {columns} FROM old_rows"),
        ),
        (
            "updated",
            "UPDATE",
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            format!(
                "(SELECT 1, {columns} FROM new_rows EXCEPT ALL SELECT 1, {columns} FROM old_rows) \
                 UNION ALL \
                 (SELECT -1, {columns} FROM old_rows EXCEPT ALL SELECT -1, {columns} FROM new_rows)"
            ),
        ),
    ];
    let mut sql = Vec::new();
    for (name, event, transitions, logged) in events {
        sql.push(format!(
            "CREATE FUNCTION {SCHEMA}.log_{name}() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) IS DISTINCT FROM 'on' THEN
        INSERT INTO conversation_changes (sign, {columns}) {logged};
    END IF;
    RETURN NULL;
END
$fn$"
        ));
        sql.push(format!(
            "CREATE TRIGGER conversations_aggregate_{} AFTER {event} ON conversations {transitions} \
             FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.log_{name}()",
            event.to_lowercase()
        ));
    }
    sql.join(";\n")
}

pub(super) fn table_list(tables: &[Table]) -> String {
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    names.join(", ")
}

/// The plain tables, which have their counts packed by bucket (`packed`) on a single node.
pub(super) fn plain_tables(tables: &[Table]) -> impl Iterator<Item = &Table> {
    tables.iter().filter(|t| t.kind == Kind::Plain)
}

/// The dictionaries and packed tables of the plain `tables`.
pub(super) fn packed_names(tables: &[Table]) -> Vec<String> {
    plain_tables(tables).flat_map(packed::names).collect()
}

/// TRUNCATE conversations empties every count (in `tables` and `also`) and the log, after any
/// running fold.
pub(super) fn truncate_trigger(tables: &[Table], also: &[String]) -> String {
    let also: String = also.iter().map(|name| format!(", {name}")).collect();
    format!(
        "CREATE FUNCTION {SCHEMA}.conversations_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('{FOLD_LOCK}'));
    TRUNCATE {}{also}, conversation_changes;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER conversations_aggregate_truncate AFTER TRUNCATE ON conversations
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.conversations_truncated()",
        table_list(tables)
    )
}

/// Moves up to `max_rows` logged changes (all with NULL) into every table and returns how many;
/// 0 at once while another fold (or a rebuild) runs.
fn fold(tables: &[Table]) -> String {
    let delta = format!("SELECT * FROM {FOLDING}");
    let statements: Vec<String> = tables
        .iter()
        .map(|t| format!("    {};\n", t.add(&delta, t.name, true)))
        .collect();
    let repacked: String = plain_tables(tables)
        .map(|t| packed::repack(t, false))
        .collect();
    let repack = format!(
        "{}{repacked}{}",
        packed::touched(FOLDING),
        packed::untouched()
    );
    format!(
        "CREATE FUNCTION {SCHEMA}.fold_changes(max_rows integer DEFAULT 100000) RETURNS bigint
    LANGUAGE plpgsql SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    folded bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM conversation_changes)
       OR NOT pg_try_advisory_xact_lock(hashtext('{FOLD_LOCK}')) THEN
        RETURN 0;
    END IF;
    CREATE TEMP TABLE {FOLDING} (LIKE conversation_changes) ON COMMIT DROP;
    WITH moved AS (
        DELETE FROM conversation_changes
         WHERE ctid = ANY (ARRAY(SELECT ctid FROM conversation_changes LIMIT max_rows))
        RETURNING *)
    INSERT INTO {FOLDING} SELECT * FROM moved;
    GET DIAGNOSTICS folded = ROW_COUNT;
{}{repack}    DROP TABLE {FOLDING};
    RETURN folded;
END
$fn$",
        statements.concat()
    )
}

/// Fills fresh copies of the plain and scoped tables from every conversation, indexes each once
/// and swaps them in with the old tables' grants; readers keep the old ones until the commit.
/// Then packs the plain tables' counts anew (`packed`). Internal step of `rebuild_aggregates`: alone, it would count the logged changes twice.
fn refill(tables: &[Table]) -> String {
    let refilled: Vec<&Table> = tables.iter().filter(|t| t.kind != Kind::Unit).collect();
    let names: Vec<String> = refilled.iter().map(|t| format!("'{}'", t.name)).collect();
    let statements: Vec<String> = refilled
        .iter()
        .map(|t| {
            let delta = "SELECT *, 1::bigint AS sign FROM conversations";
            format!(
                "    {};\n",
                t.add(delta, &format!("{}_fresh", t.name), false)
            )
        })
        .collect();
    format!(
        "CREATE FUNCTION {SCHEMA}.refill_aggregates() RETURNS void LANGUAGE plpgsql
    SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    tables text[] := ARRAY[{}];
    t text;
    grant_row record;
BEGIN
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('CREATE TABLE %I (LIKE %I)', t || '_fresh', t);
    END LOOP;
{}    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', t || '_fresh', t || '_fresh_key',
                       (SELECT pg_get_constraintdef(oid) FROM pg_constraint
                         WHERE conrelid = t::regclass AND conname = t || '_key'));
        -- Whoever could read the old table (a separate read-only role) can read the new one.
{}        EXECUTE format('ANALYZE %I', t || '_fresh');
    END LOOP;
    FOREACH t IN ARRAY tables LOOP
        -- The comment records the table's levels (install).
        EXECUTE format('COMMENT ON TABLE %I IS %L', t || '_fresh',
                       obj_description(t::regclass, 'pg_class'));
        EXECUTE format('DROP TABLE %I', t);
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '_fresh', t);
        EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', t, t || '_fresh_key', t || '_key');
    END LOOP;
{}END
$fn$",
        names.join(", "),
        statements.concat(),
        copy_grants("t::regclass", "t || '_fresh'"),
        plain_tables(tables)
            .map(|t| packed::repack(t, true))
            .collect::<String>()
    )
}

/// PL/pgSQL (in a block declaring `grant_row record`) granting on the table named `to` (a text
/// expression) what the table `from` (a regclass expression) grants to roles but its owner.
pub(super) fn copy_grants(from: &str, to: &str) -> String {
    format!(
        "        FOR grant_row IN SELECT a.privilege_type, a.grantee FROM pg_class c, aclexplode(c.relacl) a
                          WHERE c.oid = {from} AND a.grantee <> c.relowner LOOP
            EXECUTE format('GRANT %s ON %I TO %s', grant_row.privilege_type, {to},
                           CASE grant_row.grantee WHEN 0 THEN 'PUBLIC'
                                ELSE quote_ident(pg_get_userbyid(grant_row.grantee)) END);
        END LOOP;\n"
    )
}

/// Each per-unit table with the scoped table of the same dimension, from which it is derived.
fn unit_pairs(tables: &[Table]) -> Vec<(&Table, &Table)> {
    tables
        .windows(2)
        .filter(|pair| pair[0].kind == Kind::Scoped && pair[1].kind == Kind::Unit)
        .map(|pair| (&pair[1], &pair[0]))
        .collect()
}

/// The key columns a per-unit table shares with its scoped table.
fn unit_keys(unit: &Table) -> String {
    let keys: Vec<&str> = unit.columns[1..].iter().map(|c| c.name).collect();
    keys.join(", ")
}

/// Fills the per-unit tables anew from the scoped ones, the units looked up once per scope
/// (every scope has month rows in agg_department, which the same folds and rebuilds fill).
/// Scopes without a department (`=` never matches NULL) count under their own ancestors.
pub(super) fn refill_units(tables: &[Table]) -> String {
    let pairs = unit_pairs(tables);
    let statements: Vec<String> = pairs
        .iter()
        .map(|(unit, scoped)| {
            format!(
                "    INSERT INTO {u} (level, bucket, unit, {k}, n)
        SELECT level, bucket, unit, {k}, {SCHEMA}.total(n) FROM (
            SELECT s.level, s.bucket, u.unit, {k}, s.n FROM {s} AS s
            JOIN omnireports_scope_units AS u ON u.department_id = s.department_id
             AND u.department_ancestors = s.department_ancestors
            UNION ALL
            SELECT s.level, s.bucket, u.unit, {k}, s.n FROM {s} AS s
            CROSS JOIN LATERAL (SELECT DISTINCT unnest(s.department_ancestors)) AS u(unit)
            WHERE s.department_id IS NULL
        ) AS x GROUP BY level, bucket, unit, {k} HAVING {SCHEMA}.total(n) <> 0;\n",
                u = unit.name,
                s = scoped.name,
                k = unit_keys(unit),
            )
        })
        .collect();
    let truncate = match pairs.is_empty() {
        true => String::new(),
        false => {
            let names: Vec<&str> = pairs.iter().map(|(u, _)| u.name).collect();
            format!("    TRUNCATE {};\n", names.join(", "))
        }
    };
    format!(
        "CREATE FUNCTION {SCHEMA}.refill_units() RETURNS void LANGUAGE plpgsql
    SET work_mem = '256MB' SET jit = off AS $fn$
BEGIN
{truncate}    CREATE TEMP TABLE omnireports_scope_units ON COMMIT DROP AS
        SELECT s.department_id, s.department_ancestors, u.unit
        FROM (SELECT DISTINCT department_id, department_ancestors FROM agg_department
               WHERE level = {month}) AS s
        CROSS JOIN LATERAL unnest({SCHEMA}.units(s.department_id, s.department_ancestors)) AS u(unit);
    ANALYZE omnireports_scope_units;
{}    DROP TABLE omnireports_scope_units;
END
$fn$",
        statements.concat(),
        month = Level::Month as i16,
    )
}

/// Counts every conversation anew: waits for a running fold, drops the log (whose changes the
/// refill counts), refills the tables and derives the per-unit ones.
pub(super) fn rebuild() -> String {
    format!(
        "CREATE FUNCTION {SCHEMA}.rebuild_aggregates() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('{FOLD_LOCK}'));
    LOCK TABLE conversations IN SHARE MODE;
    DELETE FROM conversation_changes;
    PERFORM {SCHEMA}.refill_aggregates();
    PERFORM {SCHEMA}.refill_units();
END
$fn$"
    )
}

/// A department's units changed (id, ancestors, creation, deletion): its folded conversations
/// leave the units it no longer has and join the new ones, except under the units their own
/// ancestors name (counted there anyway), in the same transaction, after any running fold.
/// TRUNCATE departments derives the per-unit tables anew.
pub(super) fn department_moves(tables: &[Table]) -> String {
    let statements: Vec<String> = unit_pairs(tables)
        .iter()
        .map(|(unit, scoped)| {
            format!(
                "    WITH moves AS (SELECT department, unit, sum(sign) AS sign FROM (
            SELECT DISTINCT old_id AS department, u AS unit, -1 AS sign FROM unnest(old_units) AS u
            UNION ALL SELECT DISTINCT new_id, u, 1 FROM unnest(new_units) AS u) AS x
          WHERE department IS NOT NULL GROUP BY department, unit HAVING sum(sign) <> 0)
    INSERT INTO {u} AS a (level, bucket, unit, {k}, n)
    SELECT s.level, s.bucket, m.unit, {k}, sum(s.n * m.sign)
    FROM moves AS m JOIN {s} AS s ON s.level = ANY ('{levels}')
      AND s.department_id = m.department AND NOT s.department_ancestors @> ARRAY[m.unit]
    GROUP BY s.level, s.bucket, m.unit, {k}
    ON CONFLICT ON CONSTRAINT {u}_key DO UPDATE SET n = a.n + excluded.n;\n",
                u = unit.name,
                s = scoped.name,
                k = unit_keys(unit),
                levels = levels_array(),
            )
        })
        .collect();
    format!(
        "CREATE FUNCTION {SCHEMA}.department_moved() RETURNS trigger LANGUAGE plpgsql
    SET jit = off AS $fn$
DECLARE
    old_id text;
    old_units text[] := '{{}}';
    new_id text;
    new_units text[] := '{{}}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_id := OLD.id;
        old_units := OLD.ancestors;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_id := NEW.id;
        new_units := NEW.ancestors;
    END IF;
    -- An upsert that leaves the units alone (an import's) moves nothing and waits for no fold.
    IF old_id IS NOT DISTINCT FROM new_id
       AND ARRAY(SELECT DISTINCT u FROM unnest(old_units) AS u ORDER BY u)
           = ARRAY(SELECT DISTINCT u FROM unnest(new_units) AS u ORDER BY u) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('{FOLD_LOCK}'));
{}    RETURN NULL;
END
$fn$;
CREATE TRIGGER departments_unit_aggregates AFTER INSERT OR DELETE OR UPDATE OF id, ancestors
    ON departments FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.department_moved();
CREATE FUNCTION {SCHEMA}.departments_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('{FOLD_LOCK}'));
    PERFORM {SCHEMA}.refill_units();
    RETURN NULL;
END
$fn$;
CREATE TRIGGER departments_unit_aggregates_truncate AFTER TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.departments_truncated()",
        statements.concat()
    )
}

/// The levels of the scoped and per-unit tables, as an SQL array literal's text.
fn levels_array() -> String {
    let numbers: Vec<String> = Level::SCOPED
        .iter()
        .map(|l| (*l as i16).to_string())
        .collect();
    format!("{{{}}}", numbers.join(","))
}
