print("<html>this is not an ExecCredential</html>")
