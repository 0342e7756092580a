// A TypeScript transformer for ts-jest (jest.shared.js). The tests compile each file on its own
// (isolatedModules: no type checking, which `npm run typecheck` does once for all files), and a
// file compiled alone cannot know whether an imported name is a class. Its decorator metadata
// then reads `typeof (_a = typeof X !== "undefined" && X) === "function" ? _a : Object`, a guard
// whose branches coverage would count as untested code of src/. This marks each such guard
// inside `__metadata(...)` with `istanbul ignore next`; nothing else of the output changes.
const name = 'hekim-decorator-metadata-coverage-hint';
const version = 1;

function factory(tsCompiler) {
  const ts = tsCompiler.configSet.compilerModule;
  return (context) => {
    const hint = (node) => {
      if (ts.isConditionalExpression(node))
        ts.addSyntheticLeadingComment(
          node,
          ts.SyntaxKind.MultiLineCommentTrivia,
          ' istanbul ignore next ',
          false,
        );
      return ts.visitEachChild(node, hint, context);
    };
    const visit = (node) => {
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        ts.idText(node.expression) === '__metadata'
      )
        return ts.visitEachChild(node, hint, context);
      return ts.visitEachChild(node, visit, context);
    };
    return (sourceFile) => ts.visitNode(sourceFile, visit);
  };
}

module.exports = { name, version, factory };
