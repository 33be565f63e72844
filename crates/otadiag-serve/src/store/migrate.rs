//! Versioned schema migrations: numbered SQL files per database, embedded at build time and
//! applied in order at startup, each recorded in `schema_migrations` so it runs exactly once.

/// One numbered migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version number (the file's numeric prefix).
    pub version: i64,
    /// File name.
    pub name: &'static str,
    /// SQL text.
    pub sql: &'static str,
}

/// SQLite migrations, in order.
pub const SQLITE_MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "0001_initial.sql",
    sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
}];

/// PostgreSQL migrations, in order.
pub const POSTGRES_MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "0001_initial.sql",
    sql: include_str!("../../migrations/postgres/0001_initial.sql"),
}];

/// The DDL of the bookkeeping table (the same for both databases).
pub const SCHEMA_MIGRATIONS_DDL: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Migrations of `all` not yet in `applied`, in version order.
pub fn pending<'a>(all: &'a [Migration], applied: &[i64]) -> Vec<&'a Migration> {
    let mut out: Vec<&Migration> = all
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .collect();
    out.sort_by_key(|m| m.version);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing_and_match_file_names() {
        for set in [SQLITE_MIGRATIONS, POSTGRES_MIGRATIONS] {
            for (i, m) in set.iter().enumerate() {
                assert_eq!(m.version, i as i64 + 1);
                assert!(m.name.starts_with(&format!("{:04}_", m.version)));
            }
        }
        assert_eq!(pending(SQLITE_MIGRATIONS, &[1]).len(), 0);
        assert_eq!(
            pending(SQLITE_MIGRATIONS, &[]).len(),
            SQLITE_MIGRATIONS.len()
        );
    }
}
