//! `trustdesk-central import --format csv FILE --shop ID`: reviews from another
//! platform. They are labelled imported (source `imported`) and so never count
//! towards the shop's rating.
//!
//! Columns, by header name (order free, extra columns ignored):
//! `stars` (1-5), `text`, `language` (ISO 639-1), `submitted_at` (RFC 3339),
//! optional `experience_date` (YYYY-MM-DD, default: the submission date),
//! `order_reference`, `reviewer_reference`, `ip`, `email` (only its domain is
//! looked at, for the throwaway-mail signal; the address is not kept).

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDate, Utc};
use trustdesk_api::{Entity, EntityKind};
use trustdesk_domain::review::ReviewFlags;
use trustdesk_domain::{Review, ReviewId, ReviewSource, ReviewStatus, ShopId, Stars};

use crate::db::Db;
use crate::entities::{self, NewEntity};
use crate::ingest::{self, Incoming, Scanner};

/// RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks.
pub fn parse_csv(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c)
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                line += 1;
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        bail!("unterminated quoted field near line {line}");
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.retain(|r| !(r.len() == 1 && r[0].trim().is_empty()));
    Ok(rows)
}

pub fn reviews_from_csv(text: &str, shop: ShopId) -> anyhow::Result<Vec<Incoming>> {
    let rows = parse_csv(text)?;
    let Some((header, body)) = rows.split_first() else { bail!("the file is empty") };
    let col = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let need = |name: &str| col(name).with_context(|| format!("the header has no {name:?} column"));
    let (stars_c, text_c, lang_c, sub_c) =
        (need("stars")?, need("text")?, need("language")?, need("submitted_at")?);
    let (exp_c, order_c, rev_c, ip_c, email_c) =
        (col("experience_date"), col("order_reference"), col("reviewer_reference"), col("ip"), col("email"));
    let mut out = Vec::with_capacity(body.len());
    for (n, row) in body.iter().enumerate() {
        let line = n + 2;
        let get = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or("");
        let opt = |c: Option<usize>| c.map(get).unwrap_or("");
        let stars: u8 = get(stars_c).parse().with_context(|| format!("row {line}: stars is not a number"))?;
        let stars = Stars::new(stars).with_context(|| format!("row {line}"))?;
        let submitted_at: DateTime<Utc> = DateTime::parse_from_rfc3339(get(sub_c))
            .with_context(|| format!("row {line}: submitted_at is not RFC 3339"))?
            .with_timezone(&Utc);
        let experience_date = match opt(exp_c) {
            "" => submitted_at.date_naive(),
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .with_context(|| format!("row {line}: experience_date is not YYYY-MM-DD"))?,
        };
        let text = get(text_c).to_owned();
        if text.is_empty() {
            bail!("row {line}: the text is empty");
        }
        let reviewer = match opt(rev_c) {
            "" => format!("import-{line}"),
            r => r.to_owned(),
        };
        out.push(Incoming {
            review: Review {
                id: ReviewId::new(),
                shop_id: shop,
                order_reference: opt(order_c).to_owned(),
                reviewer_reference: reviewer,
                stars,
                text,
                language: get(lang_c).parse().with_context(|| format!("row {line}: language"))?,
                experience_date,
                submitted_at,
                source: ReviewSource::Imported,
                status: ReviewStatus::Pending,
                flags: ReviewFlags::default(),
                version: 1,
            },
            ip: Some(opt(ip_c).to_owned()).filter(|s| !s.is_empty()),
            email: Some(opt(email_c).to_owned()).filter(|s| !s.is_empty()),
        });
    }
    Ok(out)
}

/// Imports the file's reviews for an existing shop; returns how many.
pub async fn import_csv(db: &Db, shop: ShopId, text: &str, scanner: &dyn Scanner) -> anyhow::Result<usize> {
    let mut conn = db.write.acquire().await?;
    let stored = entities::load(&mut conn, EntityKind::Shop, &shop.to_string()).await?;
    drop(conn);
    let Some(Entity::Shop(shop_value)) = stored.map(|s| s.entity) else { bail!("no shop with id {shop}") };
    let mut batch = reviews_from_csv(text, shop)?;
    let mut conn = db.write.acquire().await?;
    let history = ingest::load_history(&mut conn, &batch).await?;
    drop(conn);
    ingest::add_signals(&mut batch, &history);
    let items: Vec<NewEntity> = batch
        .into_iter()
        .map(|inc| {
            let categories =
                scanner.scan(&shop_value, &inc.review).iter().map(|c| c.code().to_owned()).collect();
            NewEntity { entity: Entity::Review(inc.review), categories }
        })
        .collect();
    let mut tx = db.write.begin().await?;
    entities::insert_all(&mut tx, &items).await?;
    tx.commit().await?;
    Ok(items.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_handles_quotes_commas_and_line_breaks() {
        let rows = parse_csv("a,b\n\"x, \"\"y\"\"\",\"two\nlines\"\r\nlast,\n").unwrap();
        assert_eq!(rows, vec![vec!["a", "b"], vec!["x, \"y\"", "two\nlines"], vec!["last", ""]]);
        assert!(parse_csv("a,\"open").is_err());
    }

    #[test]
    fn rows_become_imported_pending_reviews() {
        let csv = "stars,text,language,submitted_at,order_reference\n\
                   4,\"Fast, friendly.\",de,2026-10-01T10:00:00Z,A-1\n";
        let shop = ShopId::new();
        let r = reviews_from_csv(csv, shop).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].review.source, ReviewSource::Imported);
        assert_eq!(r[0].review.text, "Fast, friendly.");
        assert!(reviews_from_csv("stars,text\n4,x\n", shop).is_err());
        assert!(reviews_from_csv(&csv.replace(",4,", ",9,").replace("\n4,", "\n9,"), shop).is_err());
    }
}
