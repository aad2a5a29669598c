/**
 * Answers to preguntas-que-es-docker (content/exercises) that score `right` of its 3 points, one
 * point a question: the first `right` questions answered right, the others wrong.
 */
export function answersScoring(right: 0 | 1 | 2 | 3) {
  return {
    "para-que-sirve": right >= 1 ? "en-mi-maquina-funciona" : "escribir-el-codigo",
    "tres-tareas":
      right >= 2 ? ["construccion", "distribucion", "ejecucion"] : ["ejecucion", "construccion", "distribucion"],
    "comprobar-instalacion": right >= 3 ? "docker run hello-world" : "docker ps",
  };
}
