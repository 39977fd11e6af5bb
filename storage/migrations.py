"""Schema migrations: an append-only ordered list. Never edit one that has shipped.

Times are unix seconds (REAL) so that the services can run on an injected clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.database import Dialect


@dataclass(frozen=True)
class Dialects:
    """A statement whose words differ between the backends (JSON functions, mostly)."""

    sqlite: str
    postgresql: str


Statement = str | Dialects

MIGRATIONS: list[list[Statement]] = [
    # 1: users, faces, verification links, invites, uploads and assets, status history.
    [
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            first_name TEXT NOT NULL,
            username TEXT,
            language_code TEXT,
            current_face_id INTEGER,
            awaiting TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE faces (
            id INTEGER PRIMARY KEY,
            owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'chat')),
            owner_id INTEGER NOT NULL,
            created_by INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            provider TEXT NOT NULL,
            provider_group_id TEXT,
            provider_session_id TEXT,
            status TEXT NOT NULL,
            verifier_user_id INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            activated_at REAL,
            next_poll_at REAL,
            poll_count INTEGER NOT NULL DEFAULT 0,
            outcome_notified INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX faces_owner ON faces (owner_kind, owner_id, status)",
        "CREATE INDEX faces_pending ON faces (status, next_poll_at)",
        """
        CREATE TABLE verification_links (
            id INTEGER PRIMARY KEY,
            face_id INTEGER NOT NULL REFERENCES faces (id),
            url TEXT NOT NULL,
            issued_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            issued_to INTEGER NOT NULL,
            chat_id INTEGER,
            message_id INTEGER,
            state TEXT NOT NULL
        )
        """,
        "CREATE INDEX links_face ON verification_links (face_id, state)",
        """
        CREATE TABLE invites (
            token TEXT PRIMARY KEY,
            face_id INTEGER NOT NULL REFERENCES faces (id),
            created_by INTEGER NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            claimed_by INTEGER,
            claimed_at REAL
        )
        """,
        "CREATE INDEX invites_face ON invites (face_id)",
        """
        CREATE TABLE upload_batches (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            face_id INTEGER NOT NULL REFERENCES faces (id),
            media_group_id TEXT,
            message_id INTEGER,
            created_at REAL NOT NULL,
            UNIQUE (chat_id, media_group_id)
        )
        """,
        """
        CREATE TABLE assets (
            id INTEGER PRIMARY KEY,
            face_id INTEGER NOT NULL REFERENCES faces (id),
            batch_id INTEGER NOT NULL REFERENCES upload_batches (id),
            user_id INTEGER NOT NULL,
            tg_file_id TEXT NOT NULL,
            tg_file_unique_id TEXT NOT NULL,
            file_name TEXT,
            mime_type TEXT,
            file_size INTEGER,
            width INTEGER,
            height INTEGER,
            name TEXT NOT NULL,
            provider_asset_id TEXT,
            provider_record_id TEXT,
            status TEXT NOT NULL,
            error_code TEXT,
            error_message TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            next_poll_at REAL,
            poll_count INTEGER NOT NULL DEFAULT 0,
            reported INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX assets_face ON assets (face_id, status)",
        "CREATE INDEX assets_batch ON assets (batch_id)",
        "CREATE INDEX assets_pending ON assets (status, next_poll_at)",
        """
        CREATE TABLE status_history (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('face', 'asset', 'video')),
            ref_id INTEGER NOT NULL,
            status TEXT NOT NULL,
            detail TEXT,
            at REAL NOT NULL
        )
        """,
        "CREATE INDEX history_ref ON status_history (kind, ref_id)",
    ],
    # 2: video jobs and remembered video settings (per user, or per group chat later).
    [
        """
        CREATE TABLE video_settings (
            owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'chat')),
            owner_id INTEGER NOT NULL,
            model TEXT NOT NULL,
            duration INTEGER NOT NULL,
            resolution TEXT NOT NULL,
            ratio TEXT NOT NULL,
            audio INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (owner_kind, owner_id)
        )
        """,
        """
        CREATE TABLE videos (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            face_id INTEGER,
            asset_ids TEXT NOT NULL DEFAULT '[]',
            provider TEXT,
            prompt TEXT NOT NULL,
            model TEXT NOT NULL,
            duration INTEGER NOT NULL,
            resolution TEXT NOT NULL,
            ratio TEXT NOT NULL,
            audio INTEGER NOT NULL,
            status TEXT NOT NULL,
            provider_task_id TEXT,
            error_code TEXT,
            error_message TEXT,
            video_url TEXT,
            url_expires_at REAL,
            size_bytes INTEGER,
            tg_file_id TEXT,
            message_id INTEGER,
            inline_message_id TEXT,
            retry_of INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            submitted_at REAL,
            finished_at REAL,
            next_poll_at REAL,
            poll_count INTEGER NOT NULL DEFAULT 0,
            outcome_notified INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX videos_user ON videos (user_id, created_at)",
        "CREATE INDEX videos_status ON videos (status, next_poll_at)",
    ],
    # 3: the photos being picked for a multi-reference video, before they are confirmed.
    ["ALTER TABLE videos ADD COLUMN picking TEXT NOT NULL DEFAULT '[]'"],
    # 4: group chats (their rules, allowed members, upload prompts) and inline offers.
    [
        """
        CREATE TABLE chat_settings (
            chat_id INTEGER PRIMARY KEY,
            provider TEXT,
            access TEXT NOT NULL DEFAULT 'everyone'
                CHECK (access IN ('everyone', 'admins', 'listed')),
            daily_quota INTEGER,
            updated_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE chat_allowed (
            chat_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        )
        """,
        """
        CREATE TABLE upload_prompts (
            chat_id INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            face_id INTEGER NOT NULL REFERENCES faces (id),
            created_at REAL NOT NULL,
            PRIMARY KEY (chat_id, message_id)
        )
        """,
        """
        CREATE TABLE inline_offers (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL,
            prompt TEXT NOT NULL,
            created_at REAL NOT NULL
        )
        """,
        "CREATE INDEX videos_inline ON videos (inline_message_id)",
        "CREATE INDEX videos_chat ON videos (chat_id, created_at)",
    ],
    # 5: the tracker looks for untold outcomes on every tick: keep that from scanning.
    [
        "CREATE INDEX faces_untold ON faces (status) WHERE outcome_notified = 0",
        "CREATE INDEX assets_unreported ON assets (reported, status, batch_id)",
        "CREATE INDEX videos_untold ON videos (status) WHERE outcome_notified = 0",
    ],
    # 6: surviving kill -9. Updates are kept until handled (replayed after a crash); the
    # update that asked for a face, a photo or a draft is remembered so a replay finds what it
    # already made; a face's start at the provider carries a reference to find it again.
    [
        """
        CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            payload TEXT NOT NULL,
            received_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            done_at REAL
        )
        """,
        "CREATE INDEX inbox_open ON inbox (update_id) WHERE done_at IS NULL",
        "ALTER TABLE faces ADD COLUMN start_ref TEXT",
        "ALTER TABLE faces ADD COLUMN request_key TEXT",
        "CREATE UNIQUE INDEX faces_request ON faces (request_key) WHERE request_key IS NOT NULL",
        "CREATE INDEX faces_creating ON faces (status) WHERE status = 'creating'",
        "ALTER TABLE assets ADD COLUMN request_key TEXT",
        "CREATE UNIQUE INDEX assets_request ON assets (request_key) WHERE request_key IS NOT NULL",
        # Inline offers are reused per prompt and pruned by age (one came per keystroke).
        "CREATE INDEX inline_offers_prompt ON inline_offers (user_id, prompt)",
        "CREATE INDEX inline_offers_created ON inline_offers (created_at)",
        "ALTER TABLE verification_links ADD COLUMN request_key TEXT",
        "CREATE UNIQUE INDEX links_request ON verification_links (request_key) "
        "WHERE request_key IS NOT NULL",
        "ALTER TABLE videos ADD COLUMN request_key TEXT",
        "CREATE UNIQUE INDEX videos_request ON videos (request_key) WHERE request_key IS NOT NULL",
    ],
    # 7: what the bot waits for from a person is kept per person and chat: an answer in one
    # chat never completes a question asked in another. Old answers-to-be were private ones.
    [
        """
        CREATE TABLE pending_inputs (
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            face_id INTEGER,
            name TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (user_id, chat_id)
        )
        """,
        """
        INSERT INTO pending_inputs (user_id, chat_id, kind, face_id, name, updated_at)
        SELECT id, id,
            CASE
                WHEN awaiting LIKE 'rename:%' THEN 'rename'
                WHEN awaiting LIKE 'provider:%' THEN 'provider'
                ELSE awaiting
            END,
            CASE WHEN awaiting LIKE 'rename:%' THEN CAST(substr(awaiting, 8) AS INTEGER) END,
            CASE WHEN awaiting LIKE 'provider:%' THEN substr(awaiting, 10) END,
            updated_at
        FROM users WHERE awaiting IN ('face_name', 'prompt')
            OR awaiting LIKE 'rename:%' OR awaiting LIKE 'provider:%'
        """,
    ],
    # 8: a draft says whether an anonymous group admin made it (any admin of the group may
    # then confirm it), instead of the services knowing Telegram's id for them; a failed
    # video keeps why it failed as the service decided it (and so whether a retry helps).
    [
        "ALTER TABLE videos ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0",
        # Drafts made before this by an anonymous admin: Telegram sends their messages as
        # GroupAnonymousBot, whose id these rows carry as the requester.
        "UPDATE videos SET anonymous = 1 WHERE user_id = 1087968824 AND status = 'draft'",
        "ALTER TABLE videos ADD COLUMN failure TEXT",
    ],
    # 9: the verified person's consent, recorded (issue 11); a declined invite is over.
    [
        """
        CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            face_id INTEGER NOT NULL REFERENCES faces (id),
            person_id INTEGER NOT NULL,
            invite_token TEXT NOT NULL REFERENCES invites (token),
            consented_at REAL NOT NULL,
            passed_at REAL,
            withdrawn_at REAL,
            UNIQUE (face_id, invite_token)
        )
        """,
        "CREATE INDEX consents_person ON consents (person_id)",
        "ALTER TABLE invites ADD COLUMN declined_at REAL",
    ],
    # 10: a face's photos deleted at its provider, as durable work: a withdrawal or delete
    # asks for it in the same transaction, and it waits for the face's running videos and
    # is retried until the provider answers (issue 11). An invite may ask only for consent,
    # for a face verified through the direct link (the person takes over its consent).
    [
        "ALTER TABLE invites ADD COLUMN takeover INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE consents ADD COLUMN takeover INTEGER NOT NULL DEFAULT 0",
        """
        CREATE TABLE provider_cleanups (
            id INTEGER PRIMARY KEY,
            face_id INTEGER NOT NULL REFERENCES faces (id),
            provider TEXT NOT NULL,
            target TEXT NOT NULL CHECK (target IN ('group', 'asset')),
            group_id TEXT,
            asset_id TEXT,
            record_id TEXT,
            tell_chat_id INTEGER,
            requested_at REAL NOT NULL,
            next_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            done_at REAL
        )
        """,
        "CREATE INDEX cleanups_due ON provider_cleanups (next_at) WHERE done_at IS NULL",
        "CREATE INDEX cleanups_face ON provider_cleanups (face_id)",
        # Faces verified through an invite before consents were recorded (migration 9): the
        # person pressed "I'm ready" on the invite and passed on their own link (the last
        # one issued), so their consent is put on record as of then, and the face is theirs
        # to see and withdraw in /myfaces.
        """
        INSERT INTO consents (face_id, person_id, invite_token, consented_at, passed_at)
        SELECT f.id, f.verifier_user_id, i.token, COALESCE(i.claimed_at, f.created_at),
            f.activated_at
        FROM faces f JOIN invites i ON i.token = (
            SELECT token FROM invites WHERE face_id = f.id AND claimed_by = f.verifier_user_id
            ORDER BY claimed_at DESC LIMIT 1)
        WHERE f.verifier_user_id IS NOT NULL AND f.activated_at IS NOT NULL
            AND f.status = 'active'
            AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.face_id = f.id)
            -- they held the face's last link (the owner's own link may have passed instead)
            AND f.verifier_user_id = (
                SELECT issued_to FROM verification_links WHERE face_id = f.id
                ORDER BY issued_at DESC, id DESC LIMIT 1)
        """,
    ],
    # 11: the language a person chose with /language (over Telegram's), and a group's.
    [
        "ALTER TABLE users ADD COLUMN language TEXT",
        "ALTER TABLE chat_settings ADD COLUMN language TEXT",
    ],
    # 12: video modes (first and last frame, references of several faces) and the secret a
    # provider's completion callback carries; videos made before used one face in the mode
    # their provider's client sent then.
    [
        "ALTER TABLE videos ADD COLUMN mode TEXT NOT NULL DEFAULT 'first_frame'",
        "ALTER TABLE videos ADD COLUMN face_ids TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE videos ADD COLUMN callback_token TEXT",
        "CREATE UNIQUE INDEX videos_callback ON videos (callback_token) "
        "WHERE callback_token IS NOT NULL",
        Dialects(
            "UPDATE videos SET face_ids = json_array(face_id) WHERE face_id IS NOT NULL",
            "UPDATE videos SET face_ids = '[' || face_id || ']' WHERE face_id IS NOT NULL",
        ),
        Dialects(
            """
            UPDATE videos SET mode = 'references'
            WHERE provider IN ('sunra', 'orcarouter', 'toapis')
                OR (provider = 'powertokens' AND json_array_length(asset_ids) > 1)
            """,
            """
            UPDATE videos SET mode = 'references'
            WHERE provider IN ('sunra', 'orcarouter', 'toapis')
                OR (provider = 'powertokens' AND json_array_length(asset_ids::json) > 1)
            """,
        ),
        "ALTER TABLE faces ADD COLUMN callback_token TEXT",
        "CREATE UNIQUE INDEX faces_callback ON faces (callback_token) "
        "WHERE callback_token IS NOT NULL",
    ],
    # 13: a video's faces as rows, so SQL finds a face's videos by an index and in the same
    # words on PostgreSQL (issue 14); videos.face_ids keeps their order.
    [
        """
        CREATE TABLE video_faces (
            video_id INTEGER NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
            face_id INTEGER NOT NULL,
            PRIMARY KEY (video_id, face_id)
        )
        """,
        "CREATE INDEX video_faces_face ON video_faces (face_id)",
        Dialects(
            """
            INSERT INTO video_faces (video_id, face_id)
            SELECT v.id, j.value FROM videos v, json_each(v.face_ids) j WHERE true
            ON CONFLICT DO NOTHING
            """,
            """
            INSERT INTO video_faces (video_id, face_id)
            SELECT v.id, CAST(j.value AS BIGINT)
            FROM videos v, jsonb_array_elements_text(v.face_ids::jsonb) AS j(value)
            ON CONFLICT DO NOTHING
            """,
        ),
    ],
    # 14: several workers on one PostgreSQL (issue 14). Open questions are ordered by a
    # number of their own (PostgreSQL has no rowid).
    [
        "ALTER TABLE pending_inputs ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
        Dialects("UPDATE pending_inputs SET seq = rowid", "UPDATE pending_inputs SET seq = 0"),
        # Who works on an item now (a face's poll, a video's delivery, telling an outcome):
        # one worker at a time, until ``until`` unless it renews (storage/leases.py).
        """
        CREATE TABLE leases (
            kind TEXT NOT NULL,
            item_id INTEGER NOT NULL,
            owner TEXT NOT NULL,
            until REAL NOT NULL,
            PRIMARY KEY (kind, item_id)
        )
        """,
        "CREATE INDEX leases_owner ON leases (owner)",
        # Shared by the workers: a group member's admin rights as Telegram last said, and
        # when a group may next be sent a message (storage/shared.py).
        """
        CREATE TABLE admin_rights (
            chat_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            is_admin INTEGER NOT NULL,
            until REAL NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        )
        """,
        "CREATE TABLE chat_pacing (chat_id INTEGER PRIMARY KEY, next_at REAL NOT NULL)",
        # The worker processes, each with the last time it said it was alive.
        """
        CREATE TABLE workers (
            id TEXT PRIMARY KEY,
            started_at REAL NOT NULL,
            seen_at REAL NOT NULL
        )
        """,
        # Photos waiting for a URL-only provider's fetch, bytes included, so any worker
        # serves any URL (storage/media.py). ``key`` is sha256 of the URL's token: the
        # token itself is stored nowhere.
        """
        CREATE TABLE media (
            key TEXT PRIMARY KEY,
            tag TEXT,
            mime_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            expires_at REAL NOT NULL,
            content BLOB NOT NULL
        )
        """,
        "CREATE INDEX media_tag ON media (tag)",
        "CREATE INDEX media_expiry ON media (expires_at)",
    ],
]

# SQLite's types, as PostgreSQL must spell them: REAL is float4 there (timestamps would be
# ~2 minutes coarse), INTEGER is int4 (Telegram's ids do not fit), and a surrogate key is
# an identity column ("BY DEFAULT": natural keys such as users.id are always given), and
# bytes are BYTEA (PostgreSQL has no BLOB).
_PG_TYPES = (
    (
        re.compile(r"\bINTEGER PRIMARY KEY\b"),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
)


def text_for(statement: Statement, dialect: Dialect) -> str:
    """The statement as ``dialect`` runs it."""
    if isinstance(statement, Dialects):
        return statement.sqlite if dialect is Dialect.SQLITE else statement.postgresql
    if dialect is Dialect.SQLITE:
        return statement
    for pattern, spelled in _PG_TYPES:
        statement = pattern.sub(spelled, statement)
    return statement
