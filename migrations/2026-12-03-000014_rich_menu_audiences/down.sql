DROP TABLE rich_menu_taps; DROP TABLE rich_menu_disaster_switches; DROP TABLE rich_menu_links;
