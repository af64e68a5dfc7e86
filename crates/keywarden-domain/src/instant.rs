//! Instants as text: the one function that writes a time into a message, an audit detail or a report. Wire types
//! serialize their times through `time::serde::rfc3339` instead.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant as RFC 3339 (`2026-11-25T18:51:27Z`, with a fraction when there is one). A time RFC 3339 cannot write
/// (an offset with seconds) is written in `time`'s own form rather than dropped.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::rfc3339;

    #[test]
    fn an_instant_is_written_in_rfc3339_and_one_it_cannot_write_is_not_dropped() {
        assert_eq!(rfc3339(datetime!(2026-11-25 18:51:27 UTC)), "2026-11-25T18:51:27Z");
        assert_eq!(rfc3339(datetime!(2026-11-25 18:51:27.5 UTC)), "2026-11-25T18:51:27.5Z");
        let odd = datetime!(2026-11-25 18:51:27 +01:00:30);
        assert_eq!(rfc3339(odd), odd.to_string());
    }
}
