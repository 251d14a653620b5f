//! Message templates sent to reviewers, in their language (falling back to
//! English). Written by us; placeholders are `{shop}` and `{deadline}`.

use chrono::NaiveDate;

use crate::shop::LanguageCode;

const EVIDENCE_REQUEST: &[(&str, &str)] = &[
    (
        "en",
        "Hello,\n\nthank you for your review of {shop}. To keep reviews trustworthy we check that each one rests on a real purchase. Please send us proof of your order (an invoice, order confirmation or delivery note; you may black out anything we do not need) by {deadline}.\n\nIf we receive nothing by then, your review will be removed.\n\nKind regards",
    ),
    (
        "de",
        "Hallo,\n\nvielen Dank für Ihre Bewertung von {shop}. Damit Bewertungen vertrauenswürdig bleiben, prüfen wir, dass jede auf einem echten Einkauf beruht. Bitte senden Sie uns bis zum {deadline} einen Nachweis Ihrer Bestellung (Rechnung, Bestellbestätigung oder Lieferschein; nicht benötigte Angaben dürfen Sie schwärzen).\n\nErhalten wir bis dahin nichts, wird Ihre Bewertung entfernt.\n\nFreundliche Grüße",
    ),
    (
        "nl",
        "Hallo,\n\nbedankt voor uw beoordeling van {shop}. Om beoordelingen betrouwbaar te houden controleren we of elke beoordeling op een echte aankoop berust. Stuur ons uiterlijk {deadline} een bewijs van uw bestelling (factuur, orderbevestiging of pakbon; gegevens die we niet nodig hebben mag u onleesbaar maken).\n\nOntvangen we dan niets, dan wordt uw beoordeling verwijderd.\n\nMet vriendelijke groet",
    ),
    (
        "fr",
        "Bonjour,\n\nmerci pour votre avis sur {shop}. Pour que les avis restent fiables, nous vérifions que chacun repose sur un achat réel. Merci de nous envoyer une preuve de votre commande (facture, confirmation de commande ou bon de livraison ; vous pouvez masquer ce dont nous n'avons pas besoin) avant le {deadline}.\n\nSans réponse à cette date, votre avis sera retiré.\n\nCordialement",
    ),
    (
        "es",
        "Hola:\n\ngracias por su opinión sobre {shop}. Para que las opiniones sigan siendo fiables comprobamos que cada una se basa en una compra real. Envíenos una prueba de su pedido (factura, confirmación del pedido o albarán; puede tachar lo que no necesitemos) antes del {deadline}.\n\nSi no recibimos nada para esa fecha, su opinión se retirará.\n\nUn saludo",
    ),
    (
        "it",
        "Buongiorno,\n\ngrazie per la sua recensione di {shop}. Per mantenere affidabili le recensioni verifichiamo che ognuna si basi su un acquisto reale. Ci invii entro il {deadline} una prova del suo ordine (fattura, conferma d'ordine o documento di consegna; può oscurare ciò che non ci serve).\n\nSe entro quella data non riceveremo nulla, la recensione verrà rimossa.\n\nCordiali saluti",
    ),
    (
        "pl",
        "Dzień dobry,\n\ndziękujemy za opinię o {shop}. Aby opinie pozostały wiarygodne, sprawdzamy, czy każda z nich dotyczy rzeczywistego zakupu. Prosimy o przesłanie do {deadline} dowodu zamówienia (faktury, potwierdzenia zamówienia lub dowodu dostawy; niepotrzebne dane można zasłonić).\n\nJeśli do tego dnia nic nie otrzymamy, opinia zostanie usunięta.\n\nZ poważaniem",
    ),
];

/// The evidence request for a reviewer writing in `language`, filled in.
pub fn evidence_request(language: LanguageCode, shop: &str, deadline: NaiveDate) -> String {
    let template = EVIDENCE_REQUEST
        .iter()
        .find(|(l, _)| *l == language.as_str())
        .or_else(|| EVIDENCE_REQUEST.first())
        .map_or("", |(_, t)| t);
    // Placeholders are filled in one pass so a shop name containing "{deadline}"
    // stays literal.
    let mut out = String::with_capacity(template.len() + shop.len() + 10);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("{shop}") {
            out.push_str(shop);
            rest = t;
        } else if let Some(t) = tail.strip_prefix("{deadline}") {
            out.push_str(&deadline.format("%Y-%m-%d").to_string());
            rest = t;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Languages with their own template.
pub fn evidence_request_languages() -> impl Iterator<Item = &'static str> {
    EVIDENCE_REQUEST.iter().map(|(l, _)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(s: &str) -> LanguageCode {
        s.parse().unwrap()
    }

    #[test]
    fn every_shipped_template_fills_both_placeholders_and_nothing_else() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        for l in evidence_request_languages() {
            let t = evidence_request(lang(l), "Nordlicht Versand", d);
            assert!(t.contains("Nordlicht Versand"), "{l}");
            assert!(t.contains("2026-12-10"), "{l}");
            assert!(!t.contains('{') && !t.contains('}'), "{l}: unknown placeholder left in {t}");
        }
        assert_eq!(evidence_request_languages().count(), 7);
    }

    #[test]
    fn falls_back_to_english_and_keeps_hostile_names_literal() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        let t = evidence_request(lang("sv"), "{deadline}<b>", d);
        assert!(t.starts_with("Hello"));
        assert!(t.contains("review of {deadline}<b>."));
    }
}
