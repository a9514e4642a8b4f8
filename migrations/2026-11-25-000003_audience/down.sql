DROP TRIGGER friends_changed ON friends;
DROP FUNCTION audience_note_follow_change();
DROP TABLE audience_changes;
DROP FUNCTION audience_note_friend_change();
DROP TABLE segments;
DROP TABLE friend_settings;
DROP TABLE category_nodes;
DROP TABLE attribute_options;
DROP TABLE attributes;
