//! The few languages our own label texts exist in, with dates and amounts
//! written the way readers of each expect.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use trustdesk_domain::dispute_templates::{format_date, format_money};
use trustdesk_domain::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    De,
    Nl,
}

impl Lang {
    /// English for anything we have no labels in.
    pub(crate) fn from_code(code: &str) -> Lang {
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "de" => Lang::De,
            "nl" => Lang::Nl,
            _ => Lang::En,
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Nl => "nl",
        }
    }

    pub(crate) fn pick(self, en: &'static str, de: &'static str, nl: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::De => de,
            Lang::Nl => nl,
        }
    }

    /// `12 March 2026`, `12. März 2026`, `12 maart 2026`: the domain's
    /// formatting, so documents and messages agree.
    pub(crate) fn date(self, d: NaiveDate) -> String {
        format_date(d.and_time(NaiveTime::MIN).and_utc(), self.code())
    }

    /// Date and UTC time, e.g. for a timeline entry.
    pub(crate) fn date_time(self, t: DateTime<Utc>) -> String {
        format!("{}, {} UTC", self.date(t.date_naive()), t.format("%H:%M"))
    }

    /// `EUR 49.99` in English, `EUR 49,99` in German and Dutch, with
    /// thousands grouped.
    pub(crate) fn money(self, m: Money) -> String {
        format_money(m, self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_money_per_language() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(Lang::De.date(d), "5. März 2026");
        assert_eq!(Lang::Nl.date(d), "5 maart 2026");
        assert_eq!(Lang::En.date(d), "5 March 2026");
        assert_eq!(Lang::En.money(Money::eur(12_345_678)), "EUR 123,456.78");
        assert_eq!(Lang::De.money(Money::eur(4999)), "EUR 49,99");
        assert_eq!(Lang::Nl.money(Money::eur(-5)), "EUR -0,05");
        assert_eq!(Lang::from_code("de-AT"), Lang::De);
        assert_eq!(Lang::from_code("pl"), Lang::En);
    }
}
