DROP TABLE app_settings;
DROP TABLE friend_events;
DROP TABLE friends;
DROP TABLE line_webhook_events;
