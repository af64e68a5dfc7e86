//! Streaming reads: a [`Scan`] is a query with its parameters and its row decoder, read row by row with
//! [`Store::stream`] so that a report over millions of rows holds one row at a time.
//!
//! A scan owns its SQL text, which sqlx borrows while the stream lives; building the scan and streaming it are
//! two steps so that dynamic SQL (filters, `IN` lists) can be streamed too.

use futures_util::stream::{BoxStream, StreamExt};
use sqlx::any::AnyRow;

use crate::{Result, Store};

/// A query parameter. Placeholders are numbered by hand (`$1`...): sqlx's QueryBuilder writes `?` for the Any
/// driver, which PostgreSQL does not accept.
#[derive(Clone, Debug)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
}

/// SQL text with its parameters, built piece by piece.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) binds: Vec<Bind>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            binds: vec![],
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends the placeholder for `value`.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Sql {
        self.binds.push(value);
        let n = self.binds.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    /// Appends `($a, $b, ...)` for `values` (which must not be empty).
    pub(crate) fn list(&mut self, values: impl IntoIterator<Item = Bind>) -> &mut Sql {
        self.text.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self.text.push(')');
        self
    }

    pub(crate) fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for bind in &self.binds {
            query = match bind {
                Bind::Int(n) => query.bind(*n),
                Bind::Text(t) => query.bind(t.clone()),
            };
        }
        query
    }
}

type Decode<T> = Box<dyn Fn(&AnyRow) -> Result<T> + Send + Sync>;

/// A read of many rows, decoded into `T`; see [`Store::stream`].
pub struct Scan<T> {
    sql: Option<Sql>,
    decode: Decode<T>,
}

impl<T> Scan<T> {
    pub(crate) fn new(sql: Sql, decode: impl Fn(&AnyRow) -> Result<T> + Send + Sync + 'static) -> Scan<T> {
        Scan {
            sql: Some(sql),
            decode: Box::new(decode),
        }
    }

    /// A scan that yields nothing (an `IN` list with no values), without asking the database.
    pub(crate) fn empty() -> Scan<T> {
        Scan {
            sql: None,
            decode: Box::new(|_| Err(crate::Error::Corrupt("an empty scan has no rows".into()))),
        }
    }
}

impl Store {
    /// Streams a scan's rows, decoded, in the scan's order. Reads go to the read pool.
    pub fn stream<'a, T: Send + 'a>(&'a self, scan: &'a Scan<T>) -> BoxStream<'a, Result<T>> {
        let Some(sql) = &scan.sql else {
            return futures_util::stream::empty().boxed();
        };
        sql.query()
            .fetch(&self.reader)
            .map(move |row| row.map_err(crate::Error::from).and_then(|row| (scan.decode)(&row)))
            .boxed()
    }
}
