"""The FTP side of station files: receiver, accounts, ledger, relay and datalogger simulator."""
