"""SQLite's migrations, in order: each runs once, in one transaction, and is recorded in
``schema_migrations`` by name."""

from __future__ import annotations

from newsdesk.store.relay import RELAY_MIGRATION

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_initial",
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            kind TEXT,
            title TEXT,
            site_url TEXT,
            etag TEXT,
            last_modified TEXT,
            content_hash TEXT,
            last_check TEXT,
            next_check TEXT,
            last_error_kind TEXT,
            last_error TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            guid TEXT NOT NULL,
            url TEXT,
            title TEXT,
            published TEXT,
            content TEXT,
            seen_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new',
            error_kind TEXT,
            error TEXT,
            article_id INTEGER REFERENCES articles(id),
            UNIQUE (source_id, guid)
        );
        CREATE INDEX entries_status ON entries(status);
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url_key TEXT NOT NULL UNIQUE,
            url TEXT,
            source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
            title TEXT,
            published TEXT,
            language TEXT,
            article_json TEXT NOT NULL,
            raw_page BLOB,
            raw_url TEXT,
            fetched_at TEXT NOT NULL,
            problem TEXT
        );
        CREATE INDEX articles_source ON articles(source_id, published);
        CREATE INDEX articles_published ON articles(published);
        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, text, tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TABLE fetch_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            url TEXT NOT NULL,
            source_id INTEGER,
            status INTEGER,
            outcome TEXT NOT NULL,
            error_kind TEXT,
            elapsed_ms INTEGER,
            bytes INTEGER
        );
        """,
    ),
    (
        "0002_article_order",
        """
        CREATE INDEX articles_when ON articles(COALESCE(published, fetched_at), id);
        CREATE INDEX articles_source_when
            ON articles(source_id, COALESCE(published, fetched_at), id);
        """,
    ),
    (
        "0003_dedupe",
        """
        ALTER TABLE articles ADD COLUMN text_key TEXT;
        ALTER TABLE articles ADD COLUMN fingerprint BLOB;
        ALTER TABLE articles ADD COLUMN original_id INTEGER;
        ALTER TABLE articles ADD COLUMN cluster_id INTEGER;
        CREATE INDEX articles_text_key ON articles(text_key);
        CREATE INDEX articles_original ON articles(original_id);
        CREATE INDEX articles_cluster ON articles(cluster_id);
        CREATE TABLE lsh (
            key INTEGER NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
        );
        CREATE INDEX lsh_key ON lsh(key, article_id);
        CREATE INDEX lsh_article ON lsh(article_id);
        CREATE TABLE sightings (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
            url TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            UNIQUE (article_id, url)
        );
        """,
    ),
    (
        # The raw pages move to a table of their own, and the articles table is rebuilt with
        # its small columns first and the record last: SQLite stores a row's columns in
        # order, so reading a column placed after a large value walks that value's overflow
        # pages. The dedupe's lookups and every list read only the small columns. The LSH
        # keys become a clustered (WITHOUT ROWID) table: one b-tree fewer to write.
        "0004_pages_apart",
        """
        CREATE TABLE pages (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            body BLOB NOT NULL
        );
        INSERT INTO pages (article_id, body)
            SELECT id, raw_page FROM articles WHERE raw_page IS NOT NULL;
        CREATE TABLE articles_rebuilt (
            id INTEGER PRIMARY KEY,
            url_key TEXT NOT NULL UNIQUE,
            url TEXT,
            source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
            title TEXT,
            published TEXT,
            fetched_at TEXT NOT NULL,
            language TEXT,
            problem TEXT,
            raw_url TEXT,
            text_key TEXT,
            original_id INTEGER,
            cluster_id INTEGER,
            fingerprint BLOB,
            article_json TEXT NOT NULL
        );
        INSERT INTO articles_rebuilt (id, url_key, url, source_id, title, published, fetched_at,
                language, problem, raw_url, text_key, original_id, cluster_id, fingerprint,
                article_json)
            SELECT id, url_key, url, source_id, title, published, fetched_at, language, problem,
                raw_url, text_key, original_id, cluster_id, fingerprint, article_json
            FROM articles;
        DROP TABLE articles;
        ALTER TABLE articles_rebuilt RENAME TO articles;
        CREATE INDEX articles_source ON articles(source_id, published);
        CREATE INDEX articles_published ON articles(published);
        CREATE INDEX articles_when ON articles(COALESCE(published, fetched_at), id);
        CREATE INDEX articles_source_when
            ON articles(source_id, COALESCE(published, fetched_at), id);
        CREATE INDEX articles_text_key ON articles(text_key);
        CREATE INDEX articles_original ON articles(original_id);
        CREATE INDEX articles_cluster ON articles(cluster_id);
        CREATE TABLE lsh_rebuilt (
            key INTEGER NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (key, article_id)
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO lsh_rebuilt (key, article_id) SELECT key, article_id FROM lsh;
        DROP TABLE lsh;
        ALTER TABLE lsh_rebuilt RENAME TO lsh;
        CREATE INDEX lsh_article ON lsh(article_id);
        """,
    ),
    (
        # The article's body as safe HTML, rendered when the record is made (where extraction
        # runs) rather than at every page view. Last in the row, after the record: only the
        # article page and the feeds read it. Rows stored before it have none and are
        # rendered when shown.
        "0005_body_html",
        """
        ALTER TABLE articles ADD COLUMN body_html TEXT;
        """,
    ),
    (
        # A counter bumped whenever an article's record is written again, in a table of its
        # own (a small column appended to articles would sit after the record). A feed's
        # ETag digests its articles' ids and revisions: a conditional GET reads no record.
        # No row: revision 0 (never rewritten since this migration).
        "0006_article_revisions",
        """
        CREATE TABLE article_revisions (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL
        );
        """,
    ),
    (
        # The article page's story (``render.story_html``: header, body, quotes, what
        # cleaning removed), rendered when the record is made, like the body. Rows stored
        # before it, or with an older STORY_MARK, are rendered when shown.
        "0007_story_html",
        """
        ALTER TABLE articles ADD COLUMN story_html TEXT;
        """,
    ),
    RELAY_MIGRATION,  # the feed pages still to read; pending entries by source
    # A source's category: the folder an imported OPML file kept it in (written back on export).
    ("0010_source_category", "ALTER TABLE sources ADD COLUMN category TEXT;"),
    # Story clusters: the rolling document frequencies of story terms (key 0: the number of
    # stories counted), halved as the count passes twice the window (newsdesk.dedupe.stories).
    (
        "0011_cluster_meta",
        "CREATE TABLE story_df (key INTEGER PRIMARY KEY, docs REAL NOT NULL) WITHOUT ROWID;",
    ),
    # Rules, their actions and the outbox of deliveries (issue 17; store/rules.py, outbox.py).
    # A delivery's event_id is its idempotency key (unique): a story fires once per rule.
    (
        "0012_rules",
        """
        CREATE TABLE rules (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            query TEXT NOT NULL,
            fires_on TEXT NOT NULL,
            outlets INTEGER NOT NULL DEFAULT 0,
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE rule_actions (
            id INTEGER PRIMARY KEY,
            rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            config TEXT NOT NULL,
            disabled TEXT,
            last_error TEXT
        );
        CREATE INDEX rule_actions_rule ON rule_actions(rule_id);
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
            action_id INTEGER NOT NULL REFERENCES rule_actions(id) ON DELETE CASCADE,
            article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
            event TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            created_at TEXT NOT NULL,
            delivered_at TEXT,
            remote_id TEXT
        );
        CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
        CREATE INDEX deliveries_rule_article ON deliveries(rule_id, article_id);
        CREATE INDEX deliveries_action ON deliveries(action_id, status);
        """,
    ),
    # Search in every script (issue 16): the full-text index gains a column of bigram words
    # for the scripts written without spaces (search.cjk_grams), filled for what is stored.
    (
        "0013_search_grams",
        """
        CREATE VIRTUAL TABLE articles_fts_grams USING fts5(
            title, text, grams, tokenize='porter unicode61 remove_diacritics 2'
        );
        INSERT INTO articles_fts_grams (rowid, title, text, grams)
            SELECT rowid, title, text, newsdesk_grams(title || ' ' || text) FROM articles_fts;
        DROP TABLE articles_fts;
        ALTER TABLE articles_fts_grams RENAME TO articles_fts;
        """,
    ),
)

# The one order of every article list: newest first (published, else fetched), then id.
