DROP TABLE rich_menu_publishes;
DROP TABLE rich_menu_versions;
DROP TABLE rich_menus;
