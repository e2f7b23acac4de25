# Generates a .cpp that returns the content of INPUT from FUNCTION in NAMESPACE.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}.tmp" "#include <string>\nnamespace ${NAMESPACE} {\nconst std::string& ${FUNCTION}() {\n  static const std::string k = R\"waiver_embed(${content})waiver_embed\";\n  return k;\n}\n}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
