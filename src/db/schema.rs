// One schema for both backends: only types that travel through the shared connection.
// Ids are `uuid` on PostgreSQL and UUID text on SQLite (`ids::sql::Uuid`); times are
// `timestamptz` on PostgreSQL (sessions in UTC) and UTC text on SQLite; booleans are native.

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    users (id) {
        id -> Id,
        email -> Text,
        name -> Text,
        role -> Text,
        municipality_id -> Nullable<Id>,
        password_hash -> Text,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    refresh_tokens (id) {
        id -> Id,
        family_id -> Id,
        user_id -> Id,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    api_tokens (id) {
        id -> Id,
        name -> Text,
        role -> Text,
        municipality_id -> Nullable<Id>,
        expires_at -> Timestamp,
        created_by -> Nullable<Id>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    sessions (id) {
        id -> Id,
        user_id -> Id,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    webhooks (id) {
        id -> Id,
        url -> Text,
        events -> Text,
        description -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    maintenance (id) {
        id -> Integer,
        feed_epoch -> Text,
        feed_epoch_at -> Timestamp,
        last_backup_at -> Nullable<Timestamp>,
        janitor_at -> Nullable<Timestamp>,
        janitor_removed -> BigInt,
    }
}

diesel::table! {
    webhook_outbox_cursor (id) {
        id -> Integer,
        seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    webhook_deliveries (id) {
        id -> Id,
        webhook_id -> Id,
        seq -> BigInt,
        event -> Text,
        body -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> Id,
        at -> Timestamp,
        status_code -> Nullable<Integer>,
        duration_ms -> Integer,
        excerpt -> Text,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    municipalities (id) {
        id -> Id,
        slug -> Text,
        name -> Text,
        official_name -> Text,
        kind -> Text,
        ags -> Nullable<Text>,
        region -> Text,
        district_id -> Nullable<Id>,
        population -> Nullable<Integer>,
        website -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        membership_status -> Text,
        council_decision_on -> Nullable<Date>,
        declaration_signed_on -> Nullable<Date>,
        joined_on -> Nullable<Date>,
        left_on -> Nullable<Date>,
        office_name -> Nullable<Text>,
        office_url -> Nullable<Text>,
        office_email -> Nullable<Text>,
        office_phone -> Nullable<Text>,
        office_address -> Nullable<Text>,
        volunteer_card -> Nullable<Text>,
        description -> Nullable<Text>,
        search_name -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        location_id -> Id,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    municipality_topics (municipality_id, position) {
        municipality_id -> Id,
        position -> Integer,
        topic -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    municipality_contacts (id) {
        id -> Id,
        municipality_id -> Id,
        position -> Integer,
        name -> Text,
        role -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        publish -> Text,
        consent_recorded_at -> Nullable<Timestamp>,
        consent_recorded_by_kind -> Nullable<Text>,
        consent_recorded_by -> Nullable<Text>,
        consent_withdrawn_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    membership_events (id) {
        id -> Id,
        municipality_id -> Id,
        status -> Text,
        effective_on -> Date,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    documents (id) {
        id -> Id,
        kind -> Text,
        title -> Text,
        summary -> Nullable<Text>,
        body -> Nullable<Text>,
        language -> Text,
        meeting_id -> Nullable<Id>,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        search_title -> Text,
        search_summary -> Text,
        search_body -> Text,
        search_topics -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    document_topics (document_id, position) {
        document_id -> Id,
        position -> Integer,
        topic -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    document_municipalities (document_id, position) {
        document_id -> Id,
        position -> Integer,
        municipality_id -> Id,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    document_links (document_id, position) {
        document_id -> Id,
        position -> Integer,
        title -> Text,
        url -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    attachments (id) {
        id -> Id,
        document_id -> Id,
        filename -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        main -> Bool,
    }
}

diesel::joinable!(document_topics -> documents (document_id));
diesel::joinable!(document_municipalities -> documents (document_id));
diesel::joinable!(document_links -> documents (document_id));
diesel::joinable!(attachments -> documents (document_id));
diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    meetings (id) {
        id -> Id,
        kind -> Text,
        title -> Text,
        description -> Nullable<Text>,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        format -> Text,
        venue_name -> Nullable<Text>,
        venue_address -> Nullable<Text>,
        venue_postal_code -> Nullable<Text>,
        venue_city -> Nullable<Text>,
        online_url -> Nullable<Text>,
        host_municipality_id -> Nullable<Id>,
        status -> Text,
        registration_deadline -> Nullable<Timestamp>,
        capacity -> Nullable<Integer>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        location_id -> Id,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    meeting_agenda_items (meeting_id, position) {
        meeting_id -> Id,
        position -> Integer,
        title -> Text,
        description -> Nullable<Text>,
        speaker -> Nullable<Text>,
        id -> Id,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    meeting_topics (meeting_id, position) {
        meeting_id -> Id,
        position -> Integer,
        topic -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    meeting_documents (meeting_id, position) {
        meeting_id -> Id,
        position -> Integer,
        document_id -> Id,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    meeting_registrations (id) {
        id -> Id,
        meeting_id -> Id,
        municipality_id -> Id,
        attendees -> Integer,
        note -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(meeting_agenda_items -> meetings (meeting_id));
diesel::joinable!(meeting_topics -> meetings (meeting_id));
diesel::joinable!(meeting_documents -> meetings (meeting_id));
diesel::joinable!(meeting_registrations -> meetings (meeting_id));
diesel::joinable!(meeting_registrations -> municipalities (municipality_id));
diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    surveys (id) {
        id -> Id,
        title -> Text,
        description -> Nullable<Text>,
        status -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        anonymous -> Bool,
        results_public -> Bool,
        opened_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        response_salt -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    survey_questions (id) {
        id -> Id,
        survey_id -> Id,
        position -> Integer,
        kind -> Text,
        question_text -> Text,
        help -> Nullable<Text>,
        required -> Bool,
        scale_min -> Nullable<Integer>,
        scale_max -> Nullable<Integer>,
        scale_min_label -> Nullable<Text>,
        scale_max_label -> Nullable<Text>,
        range_min -> Nullable<Double>,
        range_max -> Nullable<Double>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    survey_options (id) {
        id -> Id,
        question_id -> Id,
        survey_id -> Id,
        position -> Integer,
        label -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    survey_participations (id) {
        id -> Id,
        survey_id -> Id,
        municipality_id -> Id,
        version -> Integer,
        submitted_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    survey_responses (response_key) {
        response_key -> Text,
        survey_id -> Id,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    survey_answers (response_key, question_id, seq) {
        response_key -> Text,
        survey_id -> Id,
        question_id -> Id,
        seq -> Integer,
        option_id -> Nullable<Id>,
        number_value -> Nullable<Double>,
        bool_value -> Nullable<Bool>,
        text_value -> Nullable<Text>,
    }
}

diesel::joinable!(survey_questions -> surveys (survey_id));
diesel::joinable!(survey_options -> survey_questions (question_id));
diesel::joinable!(survey_participations -> surveys (survey_id));
diesel::joinable!(survey_participations -> municipalities (municipality_id));
diesel::joinable!(survey_responses -> surveys (survey_id));
diesel::joinable!(survey_answers -> survey_responses (response_key));
diesel::joinable!(municipality_topics -> municipalities (municipality_id));
diesel::joinable!(municipality_contacts -> municipalities (municipality_id));
diesel::joinable!(membership_events -> municipalities (municipality_id));
diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;

    idempotency_keys (caller, key) {
        caller -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        location -> Nullable<Text>,
        etag -> Nullable<Text>,
        body -> Nullable<Binary>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    revisions (seq) {
        seq -> BigInt,
        collection -> Text,
        record_id -> Text,
        path -> Text,
        version -> Integer,
        action -> Text,
        at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        readers -> Nullable<Text>,
        patch -> Nullable<Text>,
        snapshot -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::ids::sql::Uuid as Id;
    privacy_erasures (id) {
        id -> Id,
        at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        reason -> Text,
        found -> Text,
    }
}
diesel::allow_tables_to_appear_in_same_query!(
    privacy_erasures,
    revisions,
    users,
    refresh_tokens,
    api_tokens,
    sessions,
    login_failures,
    webhooks,
    webhook_outbox_cursor,
    webhook_deliveries,
    webhook_attempts,
    municipalities,
    municipality_topics,
    municipality_contacts,
    membership_events,
    documents,
    document_topics,
    document_municipalities,
    document_links,
    attachments,
    meetings,
    meeting_agenda_items,
    meeting_topics,
    meeting_documents,
    meeting_registrations,
    surveys,
    survey_questions,
    survey_options,
    survey_participations,
    survey_responses,
    survey_answers,
);
