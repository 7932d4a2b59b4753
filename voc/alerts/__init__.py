"""Alerts as a library: rules as data (`rules`), where webhooks may go (`webhooks`), the signed
POST that delivers one (`sender`), and `service.AlertService`, which stores, routes and
delivers them for any process on the database (`voc serve`, `voc worker`)."""
