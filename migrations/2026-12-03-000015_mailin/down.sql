DROP TABLE inbound_mails; DROP TABLE mail_senders;
