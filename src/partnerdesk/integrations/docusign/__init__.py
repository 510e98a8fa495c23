"""DocuSign eSignature: the Connect webhook (verified, deduplicated) that brings the executed close."""
