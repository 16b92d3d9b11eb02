// One schema for both backends: only types that travel through the shared connection.
// Ids are UUID strings, timestamps are UTC without zone, booleans are native.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        municipality_id -> Nullable<Text>,
        password_hash -> Text,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        municipality_id -> Nullable<Text>,
        expires_at -> Timestamp,
        created_by -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    municipalities (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        official_name -> Text,
        kind -> Text,
        ags -> Nullable<Text>,
        region -> Text,
        district_id -> Nullable<Text>,
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
    }
}

diesel::table! {
    municipality_topics (municipality_id, position) {
        municipality_id -> Text,
        position -> Integer,
        topic -> Text,
    }
}

diesel::table! {
    municipality_contacts (id) {
        id -> Text,
        municipality_id -> Text,
        position -> Integer,
        name -> Text,
        role -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        public -> Bool,
    }
}

diesel::table! {
    membership_events (id) {
        id -> Text,
        municipality_id -> Text,
        status -> Text,
        effective_on -> Date,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        kind -> Text,
        title -> Text,
        summary -> Nullable<Text>,
        body -> Nullable<Text>,
        language -> Text,
        meeting_id -> Nullable<Text>,
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
    document_topics (document_id, position) {
        document_id -> Text,
        position -> Integer,
        topic -> Text,
    }
}

diesel::table! {
    document_municipalities (document_id, position) {
        document_id -> Text,
        position -> Integer,
        municipality_id -> Text,
    }
}

diesel::table! {
    document_links (document_id, position) {
        document_id -> Text,
        position -> Integer,
        title -> Text,
        url -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        document_id -> Text,
        filename -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(document_topics -> documents (document_id));
diesel::joinable!(document_municipalities -> documents (document_id));
diesel::joinable!(document_links -> documents (document_id));
diesel::joinable!(attachments -> documents (document_id));
diesel::table! {
    meetings (id) {
        id -> Text,
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
        host_municipality_id -> Nullable<Text>,
        status -> Text,
        registration_deadline -> Nullable<Timestamp>,
        capacity -> Nullable<Integer>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    meeting_agenda_items (meeting_id, position) {
        meeting_id -> Text,
        position -> Integer,
        title -> Text,
        description -> Nullable<Text>,
        speaker -> Nullable<Text>,
    }
}

diesel::table! {
    meeting_topics (meeting_id, position) {
        meeting_id -> Text,
        position -> Integer,
        topic -> Text,
    }
}

diesel::table! {
    meeting_documents (meeting_id, position) {
        meeting_id -> Text,
        position -> Integer,
        document_id -> Text,
    }
}

diesel::table! {
    meeting_registrations (id) {
        id -> Text,
        meeting_id -> Text,
        municipality_id -> Text,
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
    surveys (id) {
        id -> Text,
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
    survey_questions (id) {
        id -> Text,
        survey_id -> Text,
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
    survey_options (id) {
        id -> Text,
        question_id -> Text,
        survey_id -> Text,
        position -> Integer,
        label -> Text,
    }
}

diesel::table! {
    survey_participations (id) {
        id -> Text,
        survey_id -> Text,
        municipality_id -> Text,
        version -> Integer,
        submitted_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    survey_responses (response_key) {
        response_key -> Text,
        survey_id -> Text,
    }
}

diesel::table! {
    survey_answers (response_key, question_id, seq) {
        response_key -> Text,
        survey_id -> Text,
        question_id -> Text,
        seq -> Integer,
        option_id -> Nullable<Text>,
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

diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    api_tokens,
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
