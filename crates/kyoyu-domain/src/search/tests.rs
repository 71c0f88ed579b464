//! The search module's own tests: folding, the query language, synonyms and snippets.

use super::*;

#[test]
fn width_case_and_kana_variants_fold_together() {
    assert_eq!(fold("ＶＰＮ装置"), "vpn装置");
    assert_eq!(fold("ｶｲｻﾞﾝ"), "カイザン");
    assert_eq!(fold("Ｗｅｂページ"), "webページ");
    assert_eq!(fold("①"), "1");
    assert_eq!(fold("　全角空白"), " 全角空白");
}

#[test]
fn folding_in_pieces_is_folding_the_whole() {
    for s in ["ｶﾞｷﾞｸﾞ", "ﾊﾟｿｺﾝのＤＤｏＳ", "e\u{301}cole", "改ざん"] {
        let f = Folded::of(s);
        assert_eq!(f.text, fold(s));
        assert_eq!(
            f.text,
            s.nfkc().flat_map(char::to_lowercase).collect::<String>()
        );
    }
}

#[test]
fn a_folded_range_maps_back_to_the_original_characters() {
    let s = "ﾊﾟｿｺﾝでＶＰＮ接続";
    let f = Folded::of(s);
    let at = f.text.find("vpn").unwrap();
    assert_eq!(&s[f.original(at..at + 3)], "ＶＰＮ");
    let at = f.text.find("パソ").unwrap();
    assert_eq!(&s[f.original(at..at + "パソ".len())], "ﾊﾟｿ");
}

fn q(s: &str) -> Query {
    Query::parse(s).unwrap().unwrap()
}

fn words(query: &Query) -> Vec<Vec<(bool, &str)>> {
    query
        .clauses
        .iter()
        .map(|c| {
            c.any
                .iter()
                .map(|l| (l.negated, l.term.text.as_str()))
                .collect()
        })
        .collect()
}

#[test]
fn spaces_are_and_or_binds_tighter_and_minus_excludes() {
    assert_eq!(
        words(&q(
            "ＶＰＮ OR ファイアウォール　侵入 -訓練 NOT \"不正 アクセス\""
        )),
        vec![
            vec![(false, "vpn"), (false, "ファイアウォール")],
            vec![(false, "侵入")],
            vec![(true, "訓練")],
            vec![(true, "不正 アクセス")],
        ]
    );
    assert_eq!(words(&q("OR 改ざん OR")), vec![vec![(false, "改ざん")]]);
    assert_eq!(Query::parse("   ").unwrap(), None);
    assert_eq!(Query::parse("\"\"").unwrap(), None);
}

#[test]
fn a_word_of_one_character_or_too_many_words_is_refused_in_japanese() {
    let e = Query::parse("VPN 侵").unwrap_err();
    assert!(e.ja().contains("「侵」"), "{}", e.ja());
    assert!(e.ja().contains('2'), "{}", e.ja());
    let many = (0..=query::MAX_TERMS)
        .map(|i| format!("w{i:02}"))
        .collect::<Vec<_>>();
    assert!(
        Query::parse(&many.join(" "))
            .unwrap_err()
            .ja()
            .contains("16")
    );
    assert!(Query::parse(&"あ".repeat(query::MAX_CHARS + 1)).is_err());
}

#[test]
fn matching_is_by_substring_of_folded_text() {
    let text = fold("Ｗｅｂページの改ざんを確認。VPN装置は無事");
    assert!(q("改ざん").matches(&text, None));
    assert!(q("ｗｅｂ 確認").matches(&text, None));
    assert!(q("改ざん -訓練").matches(&text, None));
    assert!(!q("改ざん 訓練").matches(&text, None));
    assert!(q("訓練 OR vpn").matches(&text, None));
    assert!(!q("-VPN").matches(&text, None));
    assert!(
        !q("改竄").matches(&text, None),
        "synonyms are not applied yet"
    );
}

#[test]
fn a_number_finds_the_item_and_its_editions_only() {
    let query = q("r12");
    assert!(query.matches("", Some("R12")));
    assert!(query.matches("", Some("R12-3")));
    assert!(!query.matches("", Some("R120")));
    assert!(!query.matches("", Some("T12")));
    assert!(q("R12-3").matches("", Some("R12-3")));
    assert_eq!(q("r1x").clauses[0].any[0].term.number, None);
}

#[test]
fn synonyms_replace_the_spelling_inside_a_longer_term() {
    let syn = Synonyms::new([
        vec!["改竄".into(), "改ざん".into()],
        vec!["Ｗｅｂ".into(), "ウェブ".into()],
        vec!["ひとつ".into()],
    ]);
    assert_eq!(syn.groups().len(), 2);
    let query = syn.expand(q("webページの改竄"));
    let variants = &query.clauses[0].any[0].term.variants;
    for v in [
        "webページの改竄",
        "webページの改ざん",
        "ウェブページの改竄",
        "ウェブページの改ざん",
    ] {
        assert!(variants.contains(&v.to_owned()), "{variants:?}");
    }
    assert!(query.matches(&fold("ウェブページの改ざんを確認"), None));
}

fn marked(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| {
            if s.hit {
                format!("[{}]", s.text)
            } else {
                s.text.clone()
            }
        })
        .collect()
}

#[test]
fn a_snippet_marks_every_match_in_the_original_spelling() {
    let text = "・監視センターのアラートで、ＶＰＮ装置で不審な通信を確認した。\n・vpnを停止した。";
    let s = snippet(text, &q("vpn 通信"), 200);
    assert_eq!(
        marked(&s),
        "・監視センターのアラートで、[ＶＰＮ]装置で不審な[通信]を確認した。 ・[vpn]を停止した。"
    );
}

#[test]
fn a_long_text_is_cut_around_the_first_match() {
    let text = format!("{}改ざん{}", "あ".repeat(100), "い".repeat(100));
    let s = marked(&snippet(&text, &q("改ざん"), 30));
    assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
    assert!(s.contains("[改ざん]"), "{s}");
    assert_eq!(s.chars().count(), 30 + 2 + 2);
    let none = marked(&snippet("短い本文", &q("r1"), 30));
    assert_eq!(none, "短い本文");
}
