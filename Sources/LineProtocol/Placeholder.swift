enum LineProtocolPlaceholder {}
