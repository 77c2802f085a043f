// `npm start`: placeholder replaced as services land.
console.log('stratos-edge: nothing to start yet')
