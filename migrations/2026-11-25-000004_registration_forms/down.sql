DROP TABLE registration_forms;
