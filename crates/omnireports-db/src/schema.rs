// @generated automatically by Diesel CLI.

diesel::table! {
    conversations (id) {
        id -> Text,
        ts -> Timestamptz,
        department_id -> Nullable<Text>,
        department_ancestors -> Array<Nullable<Text>>,
        source_type -> Nullable<Text>,
        source_alias -> Nullable<Text>,
        open -> Bool,
        on_hold -> Bool,
        served_by_id -> Nullable<Text>,
        served_by_username -> Nullable<Text>,
        tags -> Array<Nullable<Text>>,
        chat_duration -> Nullable<Float8>,
        closed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    departments (id) {
        id -> Text,
        name -> Text,
        enabled -> Bool,
        #[sql_name = "type"]
        type_ -> Text,
        ancestors -> Array<Nullable<Text>>,
    }
}

diesel::table! {
    data_version (singleton) {
        singleton -> Bool,
        version -> Int8,
    }
}

diesel::table! {
    import_run_collections (run_id, collection) {
        run_id -> Int8,
        collection -> Text,
        read -> Int8,
        inserted -> Int8,
        updated -> Int8,
        unchanged -> Int8,
        ignored -> Int8,
        skipped -> Int8,
        deleted -> Int8,
        watermark -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    import_runs (id) {
        id -> Int8,
        finished_at -> Timestamptz,
    }
}

diesel::table! {
    permissions (id) {
        id -> Text,
        roles -> Array<Nullable<Text>>,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        scope -> Text,
    }
}

diesel::table! {
    unit_monitors (id) {
        id -> Text,
        monitor_id -> Text,
        unit_id -> Text,
        username -> Nullable<Text>,
    }
}

diesel::table! {
    user_tokens (user_id, hashed_token) {
        user_id -> Text,
        hashed_token -> Text,
        kind -> Text,
        name -> Nullable<Text>,
        issued_at -> Timestamptz,
        issuer -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Nullable<Text>,
        name -> Nullable<Text>,
        active -> Bool,
        roles -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
        emails -> Jsonb,
        status -> Text,
        password_bcrypt -> Nullable<Text>,
        totp_secret -> Nullable<Text>,
        email_two_factor -> Bool,
    }
}

diesel::joinable!(import_run_collections -> import_runs (run_id));
diesel::joinable!(user_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    conversations,
    data_version,
    departments,
    import_run_collections,
    import_runs,
    permissions,
    roles,
    unit_monitors,
    user_tokens,
    users,
);
