"""Telling customers and sellers what happened: email and text messages, once each."""
