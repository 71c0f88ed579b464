-- Full-text search (see ARCHITECTURE.md, "Search"). The text of each view is kept twice: as
-- shown (for snippets) and folded (NFKC, lower case: what is indexed and matched). An FTS5
-- table with the trigram tokenizer indexes the folded text, so any substring of three
-- characters or more is found through the index; two-character words are matched by instr()
-- on the rows the other conditions leave. Triggers keep the index in step with the rows.
DROP TABLE report_search;
CREATE TABLE report_search (
    row_id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    folded TEXT NOT NULL
);
CREATE VIRTUAL TABLE report_fts USING fts5(
    folded, content = 'report_search', content_rowid = 'row_id', tokenize = 'trigram'
);
CREATE TRIGGER report_search_insert AFTER INSERT ON report_search BEGIN
    INSERT INTO report_fts (rowid, folded) VALUES (new.row_id, new.folded);
END;
CREATE TRIGGER report_search_delete AFTER DELETE ON report_search BEGIN
    INSERT INTO report_fts (report_fts, rowid, folded) VALUES ('delete', old.row_id, old.folded);
END;
CREATE TRIGGER report_search_update AFTER UPDATE ON report_search BEGIN
    INSERT INTO report_fts (report_fts, rowid, folded) VALUES ('delete', old.row_id, old.folded);
    INSERT INTO report_fts (rowid, folded) VALUES (new.row_id, new.folded);
END;

ALTER TABLE advisory_list DROP COLUMN search_text;
CREATE TABLE advisory_search (
    advisory_id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    folded TEXT NOT NULL
);
CREATE VIRTUAL TABLE advisory_fts USING fts5(
    folded, content = 'advisory_search', content_rowid = 'advisory_id', tokenize = 'trigram'
);
CREATE TRIGGER advisory_search_insert AFTER INSERT ON advisory_search BEGIN
    INSERT INTO advisory_fts (rowid, folded) VALUES (new.advisory_id, new.folded);
END;
CREATE TRIGGER advisory_search_delete AFTER DELETE ON advisory_search BEGIN
    INSERT INTO advisory_fts (advisory_fts, rowid, folded) VALUES ('delete', old.advisory_id, old.folded);
END;
CREATE TRIGGER advisory_search_update AFTER UPDATE ON advisory_search BEGIN
    INSERT INTO advisory_fts (advisory_fts, rowid, folded) VALUES ('delete', old.advisory_id, old.folded);
    INSERT INTO advisory_fts (rowid, folded) VALUES (new.advisory_id, new.folded);
END;

-- The period facets and statistics group by these: the month (JST) and the Japanese fiscal
-- year (April to March) an item was reported or published in.
ALTER TABLE report_list ADD COLUMN reported_month TEXT NOT NULL DEFAULT '';
ALTER TABLE report_list ADD COLUMN fiscal_year INTEGER NOT NULL DEFAULT 0;
CREATE INDEX report_list_fiscal_year ON report_list(fiscal_year, row_id);
ALTER TABLE advisory_list ADD COLUMN fiscal_year INTEGER;

-- Synonym groups (kyoyu admin synonyms): spellings, folded, that a search treats as one.
CREATE TABLE search_synonyms (
    term TEXT PRIMARY KEY,
    group_id INTEGER NOT NULL
);
CREATE INDEX search_synonyms_group ON search_synonyms(group_id);
INSERT INTO search_synonyms (term, group_id) VALUES
    ('改竄', 1), ('改ざん', 1),
    ('漏洩', 2), ('漏えい', 2),
    ('脆弱性', 3), ('ぜい弱性', 3),
    ('毀損', 4), ('き損', 4),
    ('ランサムウェア', 5), ('ransomware', 5),
    ('マルウェア', 6), ('malware', 6), ('不正プログラム', 6);
