"""Alerts as a library: rules as data (`rules`) and where webhooks may go (`webhooks`).

The service (`voc.service.alerts`) stores, routes and delivers them."""
