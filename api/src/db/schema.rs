// Table definitions for diesel, kept in step with `migrations/` by hand.

diesel::table! {
    teams (id) {
        id -> Uuid,
        name -> Text,
        description -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        delivery_requires_approval -> Bool,
    }
}

diesel::table! {
    staff_accounts (id) {
        id -> Uuid,
        login_id -> Text,
        display_name -> Text,
        team_id -> Nullable<Uuid>,
        permissions -> Array<Text>,
        password_hash -> Text,
        must_change_password -> Bool,
        enabled -> Bool,
        totp_secret -> Nullable<Text>,
        totp_pending_secret -> Nullable<Text>,
        totp_last_step -> Nullable<Int8>,
        failed_login_count -> Int4,
        locked_until -> Nullable<Timestamptz>,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Uuid,
        account_id -> Uuid,
        stage -> Text,
        second_factor -> Bool,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    service_accounts (id) {
        id -> Uuid,
        name -> Text,
        description -> Text,
        permissions -> Array<Text>,
        token_hash -> Bytea,
        token_hint -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        occurred_at -> Timestamptz,
        actor_kind -> Text,
        actor_id -> Nullable<Uuid>,
        actor_label -> Text,
        action -> Text,
        target_kind -> Nullable<Text>,
        target_id -> Nullable<Text>,
        summary -> Jsonb,
        result -> Text,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    job_outbox (id) {
        id -> Int8,
        queue -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(staff_accounts -> teams (team_id));
diesel::joinable!(staff_sessions -> staff_accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    teams,
    staff_accounts,
    staff_sessions,
    service_accounts,
    audit_log,
    job_outbox,
);

diesel::table! {
    line_webhook_events (id) {
        id -> Int8,
        webhook_event_id -> Text,
        event_type -> Text,
        mode -> Text,
        source_user_id -> Nullable<Text>,
        occurred_at -> Timestamptz,
        payload -> Jsonb,
        received_at -> Timestamptz,
        status -> Text,
        claimed_at -> Nullable<Timestamptz>,
        processed_at -> Nullable<Timestamptz>,
        error -> Nullable<Text>,
        raw -> Nullable<Bytea>,
    }
}

diesel::table! {
    friends (id) {
        id -> Int8,
        line_user_id -> Text,
        status -> Text,
        first_followed_at -> Timestamptz,
        followed_at -> Timestamptz,
        blocked_at -> Nullable<Timestamptz>,
        status_event_at -> Timestamptz,
        registration_reminded_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    friend_events (id) {
        id -> Int8,
        friend_id -> Int8,
        kind -> Text,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Jsonb,
        updated_at -> Timestamptz,
        updated_by -> Nullable<Uuid>,
    }
}

diesel::joinable!(friend_events -> friends (friend_id));
diesel::allow_tables_to_appear_in_same_query!(friends, friend_events);

diesel::table! {
    attributes (id) {
        id -> Int4,
        name -> Text,
        kind -> Text,
        help_text -> Text,
        position -> Int4,
        archived_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    attribute_options (id) {
        id -> Int4,
        attribute_id -> Int4,
        label -> Text,
        position -> Int4,
        archived_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    category_nodes (id) {
        id -> Int4,
        parent_id -> Nullable<Int4>,
        name -> Text,
        level -> Int4,
        position -> Int4,
        archived_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    friend_settings (friend_id) {
        friend_id -> Int8,
        option_ids -> Array<Int4>,
        node_ids -> Array<Int4>,
        birth_year -> Nullable<Int4>,
        free_text -> Jsonb,
        registered_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    segments (id) {
        id -> Int4,
        name -> Text,
        expression -> Jsonb,
        needs_review -> Bool,
        review_reason -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    audience_changes (seq) {
        seq -> Int8,
        friend_id -> Int8,
        changed_at -> Timestamptz,
    }
}

diesel::joinable!(attribute_options -> attributes (attribute_id));
diesel::joinable!(friend_settings -> friends (friend_id));
diesel::allow_tables_to_appear_in_same_query!(
    attributes,
    attribute_options,
    friends,
    friend_settings
);

diesel::table! {
    registration_forms (version) {
        version -> Int4,
        items -> Jsonb,
        category_root_ids -> Array<Int4>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Int8,
        title -> Text,
        messages -> Jsonb,
        target -> Jsonb,
        status -> Text,
        team_id -> Nullable<Uuid>,
        requires_approval -> Bool,
        approved_by -> Nullable<Uuid>,
        approved_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_by_label -> Text,
        scheduled_at -> Nullable<Timestamptz>,
        aggregation_unit -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        approved_digest -> Nullable<Bytea>,
    }
}

diesel::table! {
    delivery_runs (delivery_id) {
        delivery_id -> Int8,
        started_at -> Timestamptz,
        snapshot -> Bytea,
        recipients -> Int4,
        batches_total -> Int4,
        batches_written -> Int4,
        batches_done -> Int4,
        accepted -> Int4,
        failed -> Int4,
        finished_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    delivery_batches (id) {
        id -> Int8,
        delivery_id -> Int8,
        seq -> Int4,
        retry_key -> Uuid,
        status -> Text,
        accepted -> Int4,
        failed -> Int4,
        attempts -> Int4,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        dropped -> Array<Int8>,
    }
}

diesel::table! {
    delivery_testers (staff_account_id) {
        staff_account_id -> Uuid,
        line_user_id -> Text,
        linked_at -> Timestamptz,
    }
}

diesel::table! {
    delivery_tester_codes (code) {
        code -> Text,
        staff_account_id -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::joinable!(delivery_batches -> deliveries (delivery_id));
diesel::joinable!(delivery_runs -> deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(deliveries, delivery_batches, delivery_runs);

diesel::table! {
    media (id) {
        id -> Uuid,
        kind -> Text,
        content_type -> Text,
        size -> Int8,
        preview_type -> Nullable<Text>,
        preview_size -> Nullable<Int8>,
        file_name -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    keyring.data_keys (id) {
        id -> Uuid,
        owner -> Text,
        wrapped -> Nullable<Bytea>,
        kek_id -> Text,
        created_at -> Timestamptz,
        rewrapped_at -> Nullable<Timestamptz>,
        destroyed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    keyring.kek_rotations (id) {
        id -> Int8,
        to_kek_id -> Text,
        total -> Int4,
        done -> Int4,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    card_holders (line_user_id) {
        line_user_id -> Text,
        data_key_id -> Uuid,
        holder_name -> Bytea,
        relation -> Bytea,
        children -> Bytea,
        household -> Bytea,
        eligible_until -> Nullable<Date>,
        lapse_notified_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    card_name_index (token, line_user_id) {
        line_user_id -> Text,
        token -> Bytea,
    }
}

diesel::table! {
    pass_versions (id) {
        id -> Int8,
        image_ids -> Array<Uuid>,
        body -> Text,
        link_url -> Nullable<Text>,
        created_by_label -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    card_settings_versions (id) {
        id -> Int8,
        card_image_id -> Nullable<Uuid>,
        notice -> Text,
        barcode_value -> Nullable<Text>,
        barcode_image_id -> Nullable<Uuid>,
        pregnancy_grace_days -> Int4,
        lapse_notice -> Text,
        created_by_label -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    erasure_certificates (id) {
        id -> Uuid,
        kind -> Text,
        key_ids -> Array<Text>,
        operator -> Text,
        erased_at -> Timestamptz,
        certificate -> Jsonb,
    }
}

diesel::joinable!(card_name_index -> card_holders (line_user_id));
diesel::allow_tables_to_appear_in_same_query!(card_holders, card_name_index);
diesel::allow_tables_to_appear_in_same_query!(card_holders, friends);
diesel::allow_tables_to_appear_in_same_query!(card_holders, data_keys);

diesel::table! {
    faq_entries (id) {
        id -> Int4,
        question -> Text,
        variants -> Array<Text>,
        answer -> Text,
        category -> Text,
        keywords -> Array<Text>,
        enabled -> Bool,
        valid_from -> Nullable<Timestamptz>,
        valid_to -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    faq_synonyms (id) {
        id -> Int4,
        terms -> Array<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    faq_revision (only_row) {
        only_row -> Bool,
        revision -> Int8,
    }
}

diesel::table! {
    chatbot_talk_log (id) {
        id -> Int8,
        line_user_id -> Text,
        occurred_at -> Timestamptz,
        question -> Text,
        decision -> Text,
        faq_entry_id -> Nullable<Int4>,
        confidence -> Nullable<Float4>,
        resolved -> Nullable<Bool>,
        created_at -> Timestamptz,
        route -> Text,
        scenario_id -> Nullable<Int4>,
        scenario_version -> Nullable<Int4>,
        node_id -> Nullable<Text>,
        question_sealed -> Nullable<Bytea>,
    }
}

diesel::table! {
    chatbot_scenarios (id) {
        id -> Int4,
        name -> Text,
        description -> Text,
        triggers -> Array<Text>,
        live_version -> Nullable<Int4>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    chatbot_scenario_versions (scenario_id, version) {
        scenario_id -> Int4,
        version -> Int4,
        graph -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    chatbot_sessions (line_user_id) {
        line_user_id -> Text,
        scenario_id -> Int4,
        version -> Int4,
        node_id -> Text,
        answers -> Jsonb,
        testing -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    chatbot_handovers (id) {
        id -> Int8,
        line_user_id -> Text,
        scenario_id -> Nullable<Int4>,
        node_id -> Text,
        created_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(chatbot_scenario_versions -> chatbot_scenarios (scenario_id));
diesel::allow_tables_to_appear_in_same_query!(chatbot_scenarios, chatbot_scenario_versions);
diesel::allow_tables_to_appear_in_same_query!(chatbot_handovers, chatbot_scenarios, friends);

diesel::table! {
    rich_menus (id) {
        id -> Int4,
        name -> Text,
        audience -> Text,
        segment_id -> Nullable<Int4>,
        live_version -> Nullable<Int4>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    rich_menu_versions (menu_id, version) {
        menu_id -> Int4,
        version -> Int4,
        definition -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
        line_menu_ids -> Nullable<Array<Nullable<Text>>>,
    }
}

diesel::joinable!(rich_menu_versions -> rich_menus (menu_id));
diesel::allow_tables_to_appear_in_same_query!(rich_menus, rich_menu_versions);

diesel::table! {
    rich_menu_publishes (id) {
        id -> Int8,
        menu_id -> Int4,
        version -> Int4,
        state -> Text,
        step -> Text,
        problems -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        claimed_at -> Nullable<Timestamptz>,
        created_menus -> Int4,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(rich_menu_publishes -> rich_menus (menu_id));
diesel::allow_tables_to_appear_in_same_query!(rich_menus, rich_menu_publishes);

diesel::table! {
    rich_menu_links (friend_id) {
        friend_id -> Int8,
        menu_id -> Int4,
        line_menu_id -> Text,
        linked_at -> Timestamptz,
    }
}

diesel::joinable!(rich_menu_links -> rich_menus (menu_id));
diesel::joinable!(rich_menu_links -> friends (friend_id));
diesel::allow_tables_to_appear_in_same_query!(rich_menus, rich_menu_links, friends);

diesel::table! {
    rich_menu_disaster_switches (id) {
        id -> Int8,
        turn_on -> Bool,
        state -> Text,
        step -> Text,
        line_request_id -> Nullable<Text>,
        residents_moved -> Int4,
        residents_total -> Int4,
        problem -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        claimed_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    rich_menu_taps (menu_id, version, page, area, day) {
        menu_id -> Int4,
        version -> Int4,
        page -> Int2,
        area -> Int2,
        day -> Date,
        taps -> Int8,
    }
}

diesel::joinable!(rich_menu_taps -> rich_menus (menu_id));
diesel::allow_tables_to_appear_in_same_query!(rich_menus, rich_menu_taps);

diesel::table! {
    mail_senders (id) {
        id -> Int4,
        kind -> Text,
        pattern -> Text,
        note -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    inbound_mails (id) {
        id -> Int8,
        received_at -> Timestamptz,
        via -> Text,
        envelope_from -> Text,
        recipients -> Array<Text>,
        message_id -> Nullable<Text>,
        digest -> Text,
        from_header -> Nullable<Text>,
        subject -> Text,
        body -> Text,
        attachments -> Int4,
        size_bytes -> Int4,
        status -> Text,
        duplicate_of -> Nullable<Int8>,
        headers -> Text,
        auth -> Jsonb,
    }
}

diesel::table! {
    mail_outcomes (mail_id) {
        mail_id -> Int8,
        processed_at -> Timestamptz,
        outcome -> Text,
        decision -> Jsonb,
        rule_id -> Nullable<Int4>,
        delivery_id -> Nullable<Int8>,
    }
}

diesel::table! {
    mail_rules (id) {
        id -> Int4,
        name -> Text,
        enabled -> Bool,
        position -> Int4,
        match_mode -> Text,
        conditions -> Jsonb,
        rewrites -> Jsonb,
        extract_municipalities -> Bool,
        fallback -> Text,
        base_segment_id -> Nullable<Int4>,
        combine -> Text,
        receive_node_id -> Nullable<Int4>,
        template -> Text,
        mode -> Text,
        disaster_mode -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(mail_outcomes -> inbound_mails (mail_id));
diesel::allow_tables_to_appear_in_same_query!(inbound_mails, mail_rules, mail_outcomes);

diesel::table! {
    surveys (id) {
        id -> Int4,
        title -> Text,
        form -> Jsonb,
        settings -> Jsonb,
        segment_id -> Nullable<Int4>,
        team_id -> Nullable<Uuid>,
        created_by -> Nullable<Uuid>,
        created_by_label -> Text,
        live_version -> Nullable<Int4>,
        data_key_id -> Uuid,
        closed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    survey_versions (survey_id, version) {
        survey_id -> Int4,
        version -> Int4,
        form -> Jsonb,
        published_at -> Timestamptz,
        published_by -> Text,
    }
}

diesel::table! {
    survey_grants (survey_id, account_id) {
        survey_id -> Int4,
        account_id -> Uuid,
        granted_at -> Timestamptz,
    }
}

diesel::table! {
    survey_answers (id) {
        id -> Int8,
        survey_id -> Int4,
        version -> Int4,
        friend_id -> Nullable<Int8>,
        respondent -> Bytea,
        only_one -> Bool,
        sealed -> Bytea,
        channel -> Text,
        submitted_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(survey_versions -> surveys (survey_id));
diesel::joinable!(survey_grants -> surveys (survey_id));
diesel::joinable!(survey_answers -> surveys (survey_id));
diesel::joinable!(survey_answers -> friends (friend_id));
diesel::allow_tables_to_appear_in_same_query!(
    surveys,
    survey_versions,
    survey_grants,
    survey_answers,
    friends
);
