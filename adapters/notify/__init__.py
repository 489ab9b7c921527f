"""The delivery component: matching events to subscriptions, sending webhooks and e-mail."""
